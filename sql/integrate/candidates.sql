-- The candidate values of each unit and variable: the value of each participating
-- source's chosen record (NULL where missing or an invalid code), with its priority and
-- (for most_recent variables) its date.
CREATE OR REPLACE TABLE {{ candidates }} AS
SELECT
    c.reference_id,
    p.variable,
    p.rule,
    p.source,
    p.prio,
    p.source_order,
    c.record_id,
    m.raw_value,
    m.std_value,
    m.value,
    m.invalid,
    m.code_list,
    p.coded,
    d.rec_date
FROM {{ chosen }} AS c
JOIN {{ plan }} AS p ON p.source = c.source
JOIN {{ mapped }} AS m
    ON m.source = c.source AND m.record_id = c.record_id AND m.variable = p.variable
LEFT JOIN {{ dates }} AS d
    ON d.variable = p.variable AND d.source = c.source AND d.record_id = c.record_id
