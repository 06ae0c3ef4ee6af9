-- Share of a table's populated values of one column taken by its commonest value: a key
-- field whose values are mostly one placeholder (every ZIP code 00000) cannot tell
-- records apart, and a key built on it links records that share only the other fields.
-- A value held by one record tells it apart, however few records there are (a source
-- of one record has no placeholder).
-- populated: how many values the share is of (a small side's share is judged together
-- with the other side's, spinelink.deterministic.drop_placeholder_keys).
SELECT CASE WHEN max(n) > 1 THEN max(n) / sum(n) ELSE 0.0 END AS top_share,
       coalesce(sum(n), 0) AS populated
FROM (SELECT count(*) AS n FROM {{ table }} WHERE {{ column }} IS NOT NULL
      GROUP BY {{ column }}) v
