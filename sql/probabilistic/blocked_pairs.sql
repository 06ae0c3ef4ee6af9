-- Pairs one equality blocking rule of a model makes between the two sides (before the
-- rules are combined): the sum over its key values of (reference records) x (source
-- records), as the sum over reference records of the source records with their key
-- (the reference side is joined, not grouped: a fraction of the time when the source
-- side is small); records missing a key column make none (an equality never holds on
-- NULL). The rule may compare different columns on each side (a day and month swapped),
-- hence a key list per side: src_keys "col AS k0, col AS k1", src_present: their IS NOT
-- NULL, on: the join of the reference's columns to the source's keys.
WITH s AS (
    SELECT {{ src_keys|sql }}, count(*) AS n FROM {{ src }} WHERE {{ src_present|sql }}
    GROUP BY ALL
)
SELECT coalesce(sum(CAST(s.n AS DOUBLE)), 0) FROM {{ ref }} r JOIN s ON {{ on|sql }}
