-- Reference units that more than one source record links to: each such source record and
-- the unit's reference record, tagged with the unit, to be scored against each other
-- (source-source pairs: are they one person? reference-source pairs: how strong is each
-- link). `__uid` is unique across both sides; both tables have the same columns.
SELECT 'src:' || l.reference_id || ':' || CAST(t.record_id AS VARCHAR) AS __uid,
       l.reference_id AS __unit, 'src' AS __side, t.*
FROM {{ src }} t JOIN {{ links }} l ON CAST(t.record_id AS VARCHAR) = l.source_id
UNION ALL
SELECT 'ref:' || u.reference_id AS __uid, u.reference_id AS __unit, 'ref' AS __side, t.*
FROM {{ ref }} t
JOIN (SELECT DISTINCT reference_id FROM {{ links }}) u
  ON CAST(t.record_id AS VARCHAR) = u.reference_id
