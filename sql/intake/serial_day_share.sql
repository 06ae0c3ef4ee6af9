-- Share of a date sample's values that look like spreadsheet serial day numbers (days
-- since 1899-12-30: a whole number from 1 to 99999, as a spreadsheet exports a date cell
-- formatted as a number): the hint when no date format reads the column.
SELECT avg(CASE WHEN regexp_full_match(trim(v), '[0-9]{1,5}(\.0+)?') THEN 1.0 ELSE 0.0 END)
       AS share
FROM {{ sample }}
