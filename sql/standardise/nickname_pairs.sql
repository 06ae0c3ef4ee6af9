-- The rows of the nickname tables in comparison form (registered, then keyed by
-- nicknames.sql); by_rom marks the table looked up by romanisation key.
SELECT by_rom, sl_clean_text(nickname) AS nickname, sl_clean_text(canonical) AS canonical
FROM {{ raw }}
