-- Share of a table's populated values of one column taken by its commonest value: a key
-- field whose values are mostly one placeholder (every ZIP code 00000) cannot tell
-- records apart, and a key built on it links records that share only the other fields.
SELECT coalesce(max(n) / nullif(sum(n), 0), 0.0) AS top_share
FROM (SELECT count(*) AS n FROM {{ table }} WHERE {{ column }} IS NOT NULL
      GROUP BY {{ column }}) v
