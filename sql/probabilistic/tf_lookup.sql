-- Term frequencies of a column over both sides' records: the probabilistic stage scores
-- pairs with them, and the review page explains its scores with the same ones.
SELECT {{ col }}, CAST(count(*) AS DOUBLE) / sum(count(*)) OVER () AS {{ tf_col }}
FROM (SELECT {{ col }} FROM {{ ref }} UNION ALL SELECT {{ col }} FROM {{ src }}) t
WHERE {{ col }} IS NOT NULL
GROUP BY {{ col }}
