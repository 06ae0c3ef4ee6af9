-- Every distinct raw address of one source with its comparison form (for street-type
-- expansion, the address keys and the output table): cleaning distinct values only keeps
-- the cost independent of how many records share an address. The cleaning macro:
-- sl_clean_text, or its ASCII path when every address is ASCII (standardise._cleaner).
-- {{ raw }}: address_raw.sql's result.
SELECT raw, {{ clean|sql }}(raw) AS clean
FROM {{ raw }}
