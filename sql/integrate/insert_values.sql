-- One variable of one source in long form: the raw value as read and the standardised
-- one (the canonical column, e.g. sex M/F; for other variables the value trimmed, with
-- an empty value as missing; for a coded free-text answer, its not-stated code
-- `$not_stated` too, so that a lower-priority source's stated answer, or imputation,
-- supplies the value).
INSERT INTO {{ values }}
SELECT
    $source AS source,
    s.record_id,
    $variable AS variable,
    CAST(s.{{ raw }} AS VARCHAR) AS raw_value,
    CASE WHEN CAST(s.{{ std }} AS VARCHAR) = $not_stated THEN NULL
         WHEN $trim THEN nullif(trim(CAST(s.{{ std }} AS VARCHAR)), '')
         ELSE CAST(s.{{ std }} AS VARCHAR) END AS std_value
FROM {{ standardised }} AS s
