-- A source's standardised records with the original value of one identifying field
-- (raw_<field>: its intake column as read, spinelink.raw_values), which the standardised
-- table does not repeat: the raw value of a canonical variable (insert_values.sql).
CREATE OR REPLACE TEMP VIEW {{ view }} AS
SELECT s.*, CAST(i.{{ column }} AS VARCHAR) AS {{ raw }}
FROM {{ standardised }} AS s
LEFT JOIN {{ intake }} AS i ON i.record_id = s.record_id
