-- The records of the source with a character outside ASCII in any of the columns. When
-- there is none, the cleaning macro's ASCII path (sl_clean_text_ascii) is every value's
-- comparison form (sl_clean_text takes it for ASCII text), and the cleaning query is
-- made with it alone: binding the other paths' expressions (Unicode classes, the
-- transliteration's nested replaces) costs about 35 ms a query, whatever the row count.
SELECT count(*) FROM {{ source }} WHERE {{ any_non_ascii|sql }}
