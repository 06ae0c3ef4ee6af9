-- Units whose sources give different values for a variable: the value of each source
-- (mapped to the target code list; columns `<source>__value` built by choose.py), the
-- chosen value, the source it came from, and the rule.
SELECT
    c.reference_id,
    c.variable{{ value_pivot|sql }},
    d.value AS chosen_value,
    d.source AS chosen_source,
    d.rule,
    d.status
FROM {{ candidates }} AS c
JOIN {{ decided }} AS d ON d.reference_id = c.reference_id AND d.variable = c.variable
WHERE d.n_distinct > 1
GROUP BY c.reference_id, c.variable, d.value, d.source, d.rule, d.status
ORDER BY c.reference_id, c.variable
