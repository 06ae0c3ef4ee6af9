-- Value checks that failed, per field, reason and shape of the value (never the value).
SELECT field, reason, value_kind, count(*) AS n
FROM {{ checks }}
WHERE priority >= $flag_priority
GROUP BY field, reason, value_kind
ORDER BY field, reason, value_kind
