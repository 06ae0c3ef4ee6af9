-- Values flagged in accepted rows, per field, reason and action.
SELECT field, reason, action, count(*) AS n
FROM {{ values }}
GROUP BY field, reason, action
ORDER BY n DESC, field, reason
