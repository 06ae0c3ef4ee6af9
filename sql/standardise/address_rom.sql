-- The address key of each distinct cleaned address: the address without the street,
-- town and house words of linkage_models/address_key_words.csv (`keyed`, made by
-- spinelink.addresses.key_table), folded by the name romanisation rules.
SELECT clean, sl_name_rom(keyed) AS rom
FROM {{ keys }}
