-- Each distinct value of a source's date-of-birth column (table {{ values }}, aliased r,
-- the column under its own name) with its parsed date ({{ parsed }}: in the source's
-- format, with its repairs or two-digit-year pivot) and, where repairs are read, the date
-- as written ({{ written }}, else NULL): spinelink.intake_dates.parse_once puts them on
-- every row of the raw table, so that the checks, the reference date and the accepted
-- rows read each value's parse, made once.
SELECT r.{{ col }} AS v, {{ parsed|sql }} AS p, {{ written|sql }} AS w
FROM {{ values }} r
