-- Cleaning functions for the standardisation stage, as macros over one text value.
-- Mainstream functions only (lower, upper, trim, replace, translate, regexp_replace,
-- regexp_matches, regexp_extract, strip_accents, substr, strpos, length, nullif, CASE),
-- so a Spark port can define the same bodies as SQL functions. Regular expressions use
-- \p{..} classes and \x{....} escapes, which RE2 (DuckDB) and Java (Spark) both read.

-- 1. Lower case, apostrophes dropped (' ` ´ ʹ ʼ ‘ ’ ′ and the Greek numeral sign, which
--    strip_accents would turn into ʹ) and the middle dot · (BGN/PCGN's D·en for Дэн,
--    Catalan Col·lell), every run of anything but a letter,
--    combining mark or digit turned into one space, and one leading space so that each
--    word start is ' x' (word-initial transliteration rules match on that).
CREATE OR REPLACE TEMP MACRO sl_text_prep(s) AS
    ' ' || regexp_replace(
        regexp_replace(lower(s), '[''`\x{00B4}\x{00B7}\x{02B9}\x{02BC}\x{0374}\x{2018}\x{2019}\x{2032}]', '', 'g'),
        '[^\p{L}\p{M}\p{N}]+', ' ', 'g');

-- 1b. Latin letters typed for their Cyrillic look-alikes inside Cyrillic words (Кpaвчук
--    with a Latin p and a, Iгop with a Latin I and o: a keyboard's other layout, an OCR'd
--    form) read as those Cyrillic letters (a c e i o p x y, and k m t h b, the capitals'
--    look-alikes K M T H B, lower-cased by step 1), so that they are transliterated as
--    the rest of the word. Only in a text of step 1 where a Latin letter touches a
--    Cyrillic one and no word is all Latin letters: an address or a name with a Latin
--    word (Kyiv, Smith) is left as it is.
CREATE OR REPLACE TEMP MACRO sl_homoglyphs(s) AS
    CASE WHEN regexp_matches(s, '[a-z][\x{0400}-\x{04FF}]|[\x{0400}-\x{04FF}][a-z]')
              AND NOT regexp_matches(s, '(^|[^\p{L}])[a-z]+([^\p{L}]|$)')
         THEN translate(s, 'aceiopxykmthb', 'асеіорхукмтнв')
         ELSE s END;

-- 2. Cyrillic to Latin, Ukrainian national system (KMU 2010). Expects the padded form
--    of step 1, in lower case.
--    Word-initial forms: є ye, ї yi, й y, ю yu, я ya; elsewhere ie, i, i, iu, ia.
--    зг is zgh (to tell it from ж zh). ь and the apostrophe are dropped.
--    Russian-only letters: ы y, э e, ё e (as Russian passports write it, and as
--    Cyrillic text often writes ё as е), ъ dropped. Belarusian ў u.
--    Simplification: every Cyrillic name is read as Ukrainian, so Russian и gives y
--    (Иван -> yvan, not ivan); other Cyrillic letters (Serbian ђ, ћ, ...) are kept.
--    Except before a vowel, where и gives i (Родион rodion, Алиев aliev, Мария mariia):
--    Ukrainian spelling has і there, so this meets Russian spelling only, and gives the
--    form every romanisation of it writes. Not before є or ї, letters Russian does not
--    have: there и is Ukrainian и (Київ kyiv, Києва kyieva, as KMU 2010 writes them).
CREATE OR REPLACE TEMP MACRO sl_cyrillic_to_latin(s) AS
    translate(
        replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(
        replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(
            s,
            'ии', 'iи'), 'иа', 'iа'), 'ие', 'iе'), 'иё', 'iё'), 'иі', 'iі'),
            'ио', 'iо'), 'иу', 'iу'), 'иы', 'iы'), 'иэ', 'iэ'), 'ию', 'iю'),
            'ия', 'iя'),
            ' є', ' ye'), ' ї', ' yi'), ' й', ' y'), ' ю', ' yu'), ' я', ' ya'),
            'зг', 'zgh'),
            'щ', 'shch'), 'ж', 'zh'), 'х', 'kh'), 'ц', 'ts'), 'ч', 'ch'), 'ш', 'sh'),
            'є', 'ie'), 'ї', 'i'), 'й', 'i'), 'ю', 'iu'), 'я', 'ia'),
        'абвгґдеёзиіклмнопрстуфыэўьъ',
        'abvhgdeezyiklmnoprstufyeu');

-- 3. Accents stripped; Latin letters that strip_accents leaves alone spelled out.
CREATE OR REPLACE TEMP MACRO sl_latin_fold(s) AS
    translate(
        replace(replace(replace(replace(strip_accents(s),
            'ß', 'ss'), 'æ', 'ae'), 'œ', 'oe'), 'þ', 'th'),
        'łøđðıħŧŀ',
        'loddihtl');

-- Names (and addresses): the comparison form. Transliteration runs before strip_accents
-- (which would turn й into и and ї into і) and once more after it, for Cyrillic letters
-- that only become plain once their accent is gone (ѓ, ќ, ѐ, ...). The last step keeps
-- letters and digits, one space between words, and gives NULL for an empty result.
CREATE OR REPLACE TEMP MACRO sl_clean_text_full(s) AS
    nullif(trim(regexp_replace(
        sl_cyrillic_to_latin(sl_latin_fold(sl_cyrillic_to_latin(sl_homoglyphs(sl_text_prep(s))))),
        '[^\p{L}\p{N}]+', ' ', 'g')), '');

-- The same result without the Cyrillic steps, for text with no Cyrillic character.
CREATE OR REPLACE TEMP MACRO sl_clean_text_latin(s) AS
    nullif(trim(regexp_replace(sl_latin_fold(sl_text_prep(s)), '[^\p{L}\p{N}]+', ' ', 'g')), '');

-- The same result for plain ASCII text.
CREATE OR REPLACE TEMP MACRO sl_clean_text_ascii(s) AS
    nullif(trim(regexp_replace(regexp_replace(lower(s), '[''`]', '', 'g'),
                               '[^a-z0-9]+', ' ', 'g')), '');

-- The comparison form, taking the cheapest path that gives the full path's result
-- (most text is ASCII; the tests check the paths agree).
CREATE OR REPLACE TEMP MACRO sl_clean_text(s) AS
    CASE
        WHEN NOT regexp_matches(s, '[^\x{0000}-\x{007F}]') THEN sl_clean_text_ascii(s)
        WHEN NOT regexp_matches(s, '[\x{0400}-\x{052F}\x{1C80}-\x{1C8F}\x{2DE0}-\x{2DFF}\x{A640}-\x{A69F}\x{1E030}-\x{1E08F}]')
            THEN sl_clean_text_latin(s)
        ELSE sl_clean_text_full(s)
    END;

-- Identifiers: upper case, everything but letters and digits removed, NULL when empty.
-- A whole number written with a zero fraction (1234567.0: a number column with a blank,
-- as a spreadsheet or pandas writes it) loses the fraction first, as intake's dates do:
-- its full stop removed, it was another number (12345670).
CREATE OR REPLACE TEMP MACRO sl_identifier(s) AS
    nullif(regexp_replace(upper(
        CASE WHEN regexp_full_match(trim(s), '[0-9]+\.0+')
             THEN regexp_replace(trim(s), '\.0+$', '', 'g')
             ELSE s END), '[^\p{L}\p{N}]+', '', 'g'), '');

-- Sex: the codes of linkage_models/code_lists/sex_input_codes.csv to M / F (English,
-- numeric, Ukrainian and Russian words and letters), looked up trimmed, in lower case and
-- without a final full stop ("чол.", "Ж.", "M.": as intake's check, code_lists.sex_code_key);
-- anything else (u, unknown, 9, x, 0, '') to NULL.
CREATE OR REPLACE TEMP MACRO sl_sex(s) AS
    CASE
        WHEN {{ sex_key|sql }} IN ({{ male_codes|sql }}) THEN 'M'
        WHEN {{ sex_key|sql }} IN ({{ female_codes|sql }}) THEN 'F'
    END;

-- Postcode: upper case, only A-Z and 0-9 kept, NULL when empty (the form of every
-- postcode format); for UK postcodes (postcode_format uk), when 5 to 7 characters long,
-- one space before the last three (the inward code). A value without a digit is no
-- postcode of any format (UK, ZIP, Ukrainian, European: all have digits) but a word for
-- none ("N/A", "UNKNOWN", "NFA"): NULL, so that it neither agrees with another such
-- word nor counts against a UK shape when the format is inferred.
CREATE OR REPLACE TEMP MACRO sl_postcode_compact(s) AS
    CASE WHEN regexp_matches(s, '[0-9]')
         THEN nullif(regexp_replace(upper(s), '[^A-Z0-9]', '', 'g'), '') END;

CREATE OR REPLACE TEMP MACRO sl_postcode_format(p) AS
    CASE
        WHEN length(p) BETWEEN 5 AND 7
            THEN substr(p, 1, length(p) - 3) || ' ' || substr(p, length(p) - 2)
        ELSE p
    END;

CREATE OR REPLACE TEMP MACRO sl_postcode(s) AS sl_postcode_format(sl_postcode_compact(s));

-- Parts of a formatted postcode. The outward code is the part before the space; a
-- postcode given as an outward code only (e.g. 'SW1A', 'M1') is its own outward code.
CREATE OR REPLACE TEMP MACRO sl_postcode_outward(pc) AS
    CASE
        WHEN strpos(pc, ' ') > 0 THEN substr(pc, 1, strpos(pc, ' ') - 1)
        WHEN regexp_matches(pc, '^[A-Z]{1,2}[0-9][A-Z0-9]?$') THEN pc
    END;

CREATE OR REPLACE TEMP MACRO sl_postcode_sector(pc) AS
    CASE
        WHEN strpos(pc, ' ') > 0
            THEN substr(pc, 1, strpos(pc, ' ') - 1) || ' ' || substr(pc, strpos(pc, ' ') + 1, 1)
    END;

CREATE OR REPLACE TEMP MACRO sl_postcode_area(pc) AS
    nullif(regexp_extract(sl_postcode_outward(pc), '^[A-Z]+', 0), '');

-- Postcodes of other formats (US ZIP, Ukrainian and most European codes): the leading n
-- characters of the compact code when it is longer than n (ZIP: 3 digits = sectional
-- centre, 2; Ukraine: 2 digits = oblast), else NULL.
CREATE OR REPLACE TEMP MACRO sl_postcode_prefix(pc, n) AS
    CASE WHEN length(pc) > n THEN substr(pc, 1, n) END;
