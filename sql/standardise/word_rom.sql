-- The romanisation key of each distinct word of the address keys (spinelink.addresses:
-- the address without its street, town and house words). Every rule acts within one
-- word, so spinelink.romanisation.rom_by_word puts an address's key together from its
-- words' keys: many addresses share few words. sl_address_rom: the rules without a
-- scope and those of scope address (linkage_models/romanisation.csv).
SELECT w, sl_address_rom(w) AS rom
FROM {{ words }}
