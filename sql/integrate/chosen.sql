-- One record per (source, reference unit): the record that supplies the source's values.
-- Several records of a source linked to one unit are ordered by the source's select rule
-- (latest date, or lowest rank), then deterministic before probabilistic links, highest
-- match probability, lowest record id. The reference's own record is its unit's record.
CREATE OR REPLACE TABLE {{ chosen }} AS
WITH ranked AS (
    SELECT
        l.*,
        count(*) OVER (PARTITION BY l.source, l.reference_id) AS n_records,
        row_number() OVER (
            PARTITION BY l.source, l.reference_id
            ORDER BY k.sel_date DESC NULLS LAST, k.sel_rank ASC NULLS LAST,
                     k.sel_text ASC NULLS LAST, l.method = 'probabilistic',
                     l.match_probability DESC NULLS LAST, l.record_id
        ) AS rn
    FROM {{ links }} AS l
    LEFT JOIN {{ keys }} AS k ON k.source = l.source AND k.record_id = l.record_id
)
SELECT r.source, r.reference_id, r.record_id, r.method, r.n_records,
       CASE WHEN r.n_records = 1 THEN 'single' ELSE coalesce(s.rule, 'default') END AS selected_by,
       -- the chosen link's match probability: Splink's for a probabilistic link, 1 for a
       -- deterministic or clerical one (the method column says which)
       CASE WHEN r.method = 'probabilistic' THEN r.match_probability ELSE 1.0 END
           AS match_probability
FROM ranked AS r
LEFT JOIN {{ select_rules }} AS s ON s.source = r.source
WHERE r.rn = 1
UNION ALL
SELECT $reference, i.record_id, i.record_id, 'reference', 1, 'single', 1.0
FROM {{ spine }} AS i
