-- The name-cleaning macro over a list of values (position i, value v), in order.
SELECT i, sl_clean_text(v) AS clean
FROM {{ values }}
ORDER BY i
