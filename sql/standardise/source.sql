-- The intake columns this stage reads, under fixed names. standardise.py fills each raw_*
-- and dob fragment with either a quoted intake column or a typed NULL (a field the source
-- does not map), and the extras fragment with the identifier, subgroup and variable
-- columns under internal names (_x0, _x1, ...) so they never clash with the names here.
CREATE OR REPLACE TEMP VIEW {{ view }} AS
SELECT
    i._row,
    i.record_id,
    {{ raw_first_name|sql }} AS raw_first_name,
    {{ raw_middle_name|sql }} AS raw_middle_name,
    {{ raw_last_name|sql }} AS raw_last_name,
    {{ raw_date_of_birth|sql }} AS raw_date_of_birth,
    {{ raw_sex|sql }} AS raw_sex,
    {{ raw_postcode|sql }} AS raw_postcode,
    {{ raw_address|sql }} AS raw_address,
    {{ dob|sql }} AS dob{{ extras|sql }}
FROM {{ intake }} AS i
