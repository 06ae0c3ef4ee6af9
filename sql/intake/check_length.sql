-- Values too long to be an identifying field.
SELECT _row, trim({{ id }}) AS record_id, $field AS field,
       'value longer than ' || CAST($max_len AS VARCHAR) || ' characters' AS reason,
       sl_intake_value_kind({{ col }}) AS value_kind, 5 AS priority
FROM {{ raw }}
WHERE length({{ col }}) > $max_len
