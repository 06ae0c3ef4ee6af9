-- Pairs one equality blocking rule of a model makes between the two sides (before the
-- rules are combined): the sum over its key values of (reference records) x (source
-- records); records missing a key column make none. The rule may compare different
-- columns on each side (a day and month swapped), hence a key list per side:
-- ref_keys / src_keys "col AS k0, col AS k1", present: their IS NOT NULL, on: the join.
WITH r AS (
    SELECT {{ ref_keys|sql }}, count(*) AS n FROM {{ ref }} WHERE {{ ref_present|sql }}
    GROUP BY ALL
), s AS (
    SELECT {{ src_keys|sql }}, count(*) AS n FROM {{ src }} WHERE {{ src_present|sql }}
    GROUP BY ALL
)
SELECT coalesce(sum(CAST(r.n AS DOUBLE) * s.n), 0) FROM r JOIN s ON {{ on|sql }}
