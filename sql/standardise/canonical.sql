-- The standardised table: one row per accepted record, every contract column present
-- (NULL where the source lacks the field), ordered by record_id for determinism.
-- $split_first_name is true when the source maps first_name but not middle_name: the
-- first word of first_name is kept and the other words become middle_name. address_full
-- is the address with street-type abbreviations written out (spinelink.addresses): the
-- form integration compares; linkage compares `address` (see ARCHITECTURE.md), and
-- address_rom, its key across romanisations (spinelink.addresses).
-- *_rom are the romanisation keys (spinelink.romanisation), last_name_rom over the surname
-- with its words written together (names_rom.sql); first_name_canon and its key
-- come with the distinct names (names_canon.sql), and so do the phonetic codes of the
-- name and of its first word (*_mp, *_ny: standardise.with_phonetic), and whether the
-- raw name has a Cyrillic letter (first_name_cyrillic: standardise.with_cyrillic). {{ addresses }}:
-- each distinct raw address's comparison form, expanded form and key
-- (standardise.address_table), so that every per-record lookup is one join on a raw value.
-- {{ postcodes }}: each distinct raw postcode's output columns (postcode_parts.sql: UK
-- postcodes formatted and split into sector, district and area, others by prefix).
-- A name listed in {{ placeholders }} for its field (linkage_models/placeholder_names.csv:
-- "baby", "unknown", "resident", ...) stands for no name: it is missing here (its raw_
-- value stays in the intake table), so it neither agrees nor disagrees with anything.
-- The original values (raw_*) are not repeated here: spinelink.raw_values reads them from
-- the intake table.
WITH named AS (
    SELECT
        s.*,
        CASE WHEN $split_first_name THEN fn.head ELSE fn.clean END AS first_name,
        CASE WHEN $split_first_name THEN fn.tail ELSE mn.clean END AS middle_name,
        ln.clean AS last_name,
        CASE WHEN $split_first_name THEN fn.rom_head ELSE fn.rom END AS first_name_rom,
        CASE WHEN $split_first_name THEN fn.canon_head ELSE fn.canon END AS first_name_canon,
        CASE WHEN $split_first_name THEN fn.canon_rom_head ELSE fn.canon_rom END
            AS first_name_canon_rom,
        CASE WHEN $split_first_name THEN fn.root1_head ELSE fn.root1 END AS first_name_root1,
        CASE WHEN $split_first_name THEN fn.root2_head ELSE fn.root2 END AS first_name_root2,
        CASE WHEN $split_first_name THEN fn.root3_head ELSE fn.root3 END AS first_name_root3,
        fn.cyrillic AS first_name_cyrillic,
        ln.rom_joined AS last_name_rom,
        CASE WHEN $split_first_name THEN NULL ELSE mn.rom_middle END AS middle_name_rom,
        CASE WHEN $split_first_name THEN fn.mp_head ELSE fn.mp END AS first_name_mp,
        CASE WHEN $split_first_name THEN fn.ny_head ELSE fn.ny END AS first_name_ny,
        ln.mp AS last_name_mp,
        ln.ny AS last_name_ny,
        pc.postcode,
        pc.postcode_sector,
        pc.postcode_district,
        pc.postcode_area,
        ad.clean AS address_clean,
        ad.expanded AS address_full,
        ad.rom AS address_rom
    FROM {{ source }} AS s
    LEFT JOIN {{ addresses }} AS ad ON ad.raw = s.raw_address
    LEFT JOIN {{ postcodes }} AS pc ON pc.raw = s.raw_postcode
    LEFT JOIN {{ names }} AS fn ON fn.raw = s.raw_first_name AND fn.clean NOT IN (
        SELECT value FROM {{ placeholders }} WHERE field IN ('any', 'first'))
    LEFT JOIN {{ names }} AS mn ON mn.raw = s.raw_middle_name AND mn.clean NOT IN (
        SELECT value FROM {{ placeholders }} WHERE field IN ('any', 'first'))
    LEFT JOIN {{ names }} AS ln ON ln.raw = s.raw_last_name AND ln.clean NOT IN (
        SELECT value FROM {{ placeholders }} WHERE field IN ('any', 'last'))
)
SELECT
    n.record_id,
    n.first_name,
    n.middle_name,
    n.last_name,
    n.first_name_canon,
    n.first_name_rom,
    n.last_name_rom,
    n.first_name_canon_rom,
    n.middle_name_rom,
    n.first_name_root1,
    n.first_name_root2,
    n.first_name_root3,
    n.first_name_cyrillic,
    substr(n.first_name, 1, 1) AS first_initial,
    substr(n.middle_name, 1, 1) AS middle_name_initial,
    substr(replace(n.last_name, ' ', ''), 1, 3) AS last_name_p3,
    n.first_name_mp,
    n.last_name_mp,
    n.first_name_ny,
    n.last_name_ny,
    n.dob,
    CAST(n.dob AS VARCHAR) AS dob_iso,
    CAST(year(n.dob) AS INTEGER) AS dob_year,
    CAST(month(n.dob) AS INTEGER) AS dob_month,
    CAST(day(n.dob) AS INTEGER) AS dob_day,
    CASE
        WHEN day(n.dob) <= 12 AND day(n.dob) <> month(n.dob)
            THEN CAST(make_date(year(n.dob), day(n.dob), month(n.dob)) AS VARCHAR)
    END AS dob_swapped,
    sl_sex(n.raw_sex) AS sex,
    n.postcode,
    n.postcode_sector,
    n.postcode_district,
    n.postcode_area,
    n.address_clean AS address,
    n.address_full,
    n.address_rom{{ extras|sql }}
FROM named AS n
ORDER BY n.record_id, n._row
