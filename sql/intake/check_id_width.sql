-- All-digit identifiers shorter than the usual width: leading zeros were probably lost
-- (e.g. the file went through a spreadsheet). Only when one width covers >= 90% of ids.
WITH ids AS (
    SELECT _row, trim({{ id }}) AS rid FROM {{ raw }}
    WHERE regexp_full_match(trim({{ id }}), '[0-9]+')
), widths AS (
    SELECT length(rid) AS w, count(*) AS n FROM ids GROUP BY 1
), modal AS (
    SELECT w FROM widths
    WHERE n >= 0.9 * (SELECT count(*) FROM {{ raw }}) AND w > 1
)
SELECT _row, rid AS record_id, $id_field AS field,
       'identifier shorter than the usual ' || CAST((SELECT w FROM modal) AS VARCHAR)
       || ' digits (leading zeros lost?)' AS reason,
       sl_intake_value_kind(rid) AS value_kind, 3 AS priority
FROM ids
WHERE length(rid) < (SELECT w FROM modal)
