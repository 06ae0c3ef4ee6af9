-- Every distinct raw address of one source with its comparison form (for street-type
-- expansion, the address keys and the output table): cleaning distinct values only keeps
-- the cost independent of how many records share an address.
SELECT raw, sl_clean_text(raw) AS clean
FROM (SELECT DISTINCT raw_address AS raw FROM {{ source }} WHERE raw_address IS NOT NULL) a
