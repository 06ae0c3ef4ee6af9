-- Reference units that more than one source record links to: each such source record and
-- the unit's reference record, tagged with the unit, to be scored against each other
-- (source-source pairs: are they one person? reference-source pairs: how strong is each
-- link). `__uid` (side, unit, record id, joined by the unit separator: ids may hold any
-- printable character) is unique across both sides; both tables have the same columns.
SELECT 'src' || chr(31) || l.reference_id || chr(31) || CAST(t.record_id AS VARCHAR) AS __uid,
       l.reference_id AS __unit, 'src' AS __side, t.*
FROM {{ src }} t JOIN {{ links }} l ON CAST(t.record_id AS VARCHAR) = l.source_id
UNION ALL
SELECT 'ref' || chr(31) || u.reference_id AS __uid, u.reference_id AS __unit, 'ref' AS __side, t.*
FROM {{ ref }} t
JOIN (SELECT DISTINCT reference_id FROM {{ links }}) u
  ON CAST(t.record_id AS VARCHAR) = u.reference_id
