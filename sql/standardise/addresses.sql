-- Distinct comparison forms of the addresses of one source (for street-type expansion).
SELECT DISTINCT sl_clean_text(raw_address) AS clean
FROM {{ source }}
WHERE raw_address IS NOT NULL
