-- The romanisation keys of cleaned values (clean_values.sql's result), in order: by the
-- rules without a scope, and by those with the scope address's or middle_name's.
SELECT i, clean, sl_name_rom(clean) AS rom, sl_address_rom(clean) AS rom_address,
       sl_middle_name_rom(clean) AS rom_middle
FROM {{ values }}
ORDER BY i
