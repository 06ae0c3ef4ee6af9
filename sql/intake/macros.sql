-- Intake macros (defined once per intake, before the checks run).

-- The text of a date as it is parsed: trimmed, a whole number written with a zero
-- fraction loses it (19800131.0 -> 19800131: a number column of dates), and a time of
-- day of midnight is dropped (1981-04-03 00:00:00, 1981-04-03T00:00:00Z; 03.04.1981
-- 0:00:00 as 1C and Excel write it in Ukrainian and Russian locales; 4/3/1981 12:00:00 AM
-- on a 12-hour clock).
CREATE OR REPLACE TEMP MACRO sl_intake_date_text(s) AS
    regexp_replace(
        CASE WHEN regexp_full_match(trim(s), '[0-9]+\.0+')
             THEN regexp_replace(trim(s), '\.0+$', '', 'g')
             ELSE trim(s) END,
        '[ T](0?0:00(:00(\.0+)?)?|12:00(:00)? ?[Aa][Mm])(Z|[+-]00:?00)?$', '', 'g');

-- A date text in a format of eight digits with the day or month first (%m%d%Y, %d%m%Y)
-- that has seven digits lost its leading zero (a number column: 02172018 -> 2172018):
-- the zero is put back, else the format reads 1212015 as 12/12/0015.
CREATE OR REPLACE TEMP MACRO sl_intake_date_padded(t, fmt) AS
    CASE WHEN fmt IN ('%m%d%Y', '%d%m%Y') AND regexp_full_match(t, '[0-9]{7}')
         THEN '0' || t ELSE t END;

-- A date in the given strptime format; NULL when it does not parse.
CREATE OR REPLACE TEMP MACRO sl_intake_parse_date(s, fmt) AS
    CAST(try_strptime(sl_intake_date_padded(sl_intake_date_text(s), fmt), fmt) AS DATE);

-- A date text with the letters a scanner or a keyboard puts for digits read as those digits
-- (O o D Q as 0, I l | i as 1, Z z as 2, S s as 5, G b as 6, B as 8, g q as 9, A as 4,
-- T as 7): only for formats of digits, and only where the text does not parse as it is.
CREATE OR REPLACE TEMP MACRO sl_intake_date_digits(s) AS
    translate(s, 'OoDQIl|iZzSsGbBgqAT', '00001111225566899947');

-- A date that does not parse in its format `fmt`, read as one mistyped in two common ways:
-- its day and month swapped (`alt`: the format with %d and %m exchanged; 1923-21-05 is
-- 21 May) or digits written as letters; NULL when none of the readings parses. Used only
-- where most of a column's values parse in its format (spinelink.intake_dates.DateSpec).
CREATE OR REPLACE TEMP MACRO sl_intake_parse_date_repaired(s, fmt, alt) AS
    coalesce(sl_intake_parse_date(s, fmt), sl_intake_parse_date(s, alt),
             sl_intake_parse_date(sl_intake_date_digits(s), fmt),
             sl_intake_parse_date(sl_intake_date_digits(s), alt));

-- A date, or the same date 100 years earlier when it is after `latest` (the date is
-- named twice, not three times: Spark compiles each copy of the parse).
CREATE OR REPLACE TEMP MACRO sl_intake_century_back(d, latest) AS
    CAST(d - to_years(100 * CAST(d > latest AS INTEGER)) AS DATE);

-- A date of birth in a format with a two-digit year (%y): the century is the one that
-- puts it on or before `latest` (the job's reference_date), so 03.01.67 is 1967, not 2067.
CREATE OR REPLACE TEMP MACRO sl_intake_parse_date_pivot(s, fmt, latest) AS
    sl_intake_century_back(sl_intake_parse_date(s, fmt), latest);

-- The shape of a value without the value: digits as 9, letters as a, blanks as one space,
-- other characters kept (99/99/9999); a value longer than 12 characters by its length.
-- The same rule as spinelink.readers.value_kind.
CREATE OR REPLACE TEMP MACRO sl_intake_value_kind(s) AS
    CASE
        WHEN s IS NULL THEN NULL
        WHEN length(trim(s)) > 12
            THEN 'text of ' || CAST(length(trim(s)) AS VARCHAR) || ' characters'
        ELSE regexp_replace(regexp_replace(regexp_replace(trim(s), '[0-9]', '9', 'g'),
                                           '\p{L}', 'a', 'g'), '\s', ' ', 'g')
    END;
