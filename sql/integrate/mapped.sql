-- Each value of a participating (variable, source) mapped to the target code list where
-- the variable has one: `value` is the target code, NULL with `invalid` when the value is
-- in none of the lists that apply to the source (`code_list` is the list it was found in).
CREATE OR REPLACE TABLE {{ mapped }} AS
SELECT
    v.source,
    v.record_id,
    v.variable,
    v.raw_value,
    v.std_value,
    CASE WHEN p.coded THEN c.value ELSE v.std_value END AS value,
    coalesce(p.coded AND v.std_value IS NOT NULL AND c.code IS NULL, FALSE) AS invalid,
    c.code_list
FROM {{ values }} AS v
JOIN {{ plan }} AS p ON p.variable = v.variable AND p.source = v.source
LEFT JOIN {{ codes }} AS c
    ON c.variable = v.variable AND c.source = v.source AND c.code = v.std_value
