-- The romanisation key of cleaned values (clean_values.sql's result), in order.
SELECT i, clean, sl_name_rom(clean) AS rom
FROM {{ values }}
ORDER BY i
