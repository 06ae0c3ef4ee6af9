-- Dates of birth that do not parse in the source's format and were read as mistyped
-- (sl_intake_parse_date_repaired): flagged, the value kept. Whether the reading is
-- plausible is check_date.sql's (an implausible one is set to missing there).
SELECT _row, trim({{ id }}) AS record_id, $field AS field,
       'not a valid date in format ' || $fmt || ': read with ' ||
       CASE WHEN sl_intake_parse_date({{ col }}, $fmt_alt) IS NOT NULL
              THEN 'day and month swapped'
            WHEN sl_intake_parse_date(sl_intake_date_digits({{ col }}), $fmt) IS NOT NULL
              THEN 'letters as digits'
            ELSE 'letters as digits, day and month swapped' END AS reason,
       sl_intake_value_kind({{ col }}) AS value_kind,
       $priority AS priority
FROM {{ raw }} r
WHERE {{ col }} IS NOT NULL AND trim({{ col }}) <> ''
  AND {{ as_written|sql }} IS NULL AND {{ parsed|sql }} IS NOT NULL
