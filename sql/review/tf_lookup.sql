-- Term frequencies of a column over both sides' records, as the probabilistic stage
-- computed them when it scored the pairs.
SELECT {{ col }}, CAST(count(*) AS DOUBLE) / sum(count(*)) OVER () AS {{ tf_col }}
FROM (SELECT {{ col }} FROM {{ ref }} UNION ALL SELECT {{ col }} FROM {{ src }}) t
WHERE {{ col }} IS NOT NULL
GROUP BY {{ col }}
