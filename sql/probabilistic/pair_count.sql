-- Pairs an equality blocking rule makes between the two sides: the sum over its key
-- values of (reference records) x (source records). Records missing any key column
-- make no pairs. (DOUBLE: exact to 2^53 pairs, and every engine has it.)
WITH r AS (
    SELECT {{ key|sql }} AS k, count(*) AS n FROM {{ ref }} WHERE {{ present|sql }} GROUP BY 1
), s AS (
    SELECT {{ key|sql }} AS k, count(*) AS n FROM {{ src }} WHERE {{ present|sql }} GROUP BY 1
)
SELECT coalesce(sum(CAST(r.n AS DOUBLE) * s.n), 0) FROM r JOIN s ON r.k = s.k
