-- The output columns of each distinct raw postcode (postcodes.sql), joined to the records
-- by canonical.sql. $postcode_uk: UK postcodes, formatted with the inward code and split
-- into sector, district and area; otherwise kept as letters and digits, their leading
-- 4 / 3 / 2 characters standing for sector / district / area.
SELECT
    raw,
    postcode,
    CASE WHEN $postcode_uk THEN sl_postcode_sector(postcode)
         ELSE sl_postcode_prefix(postcode, 4) END AS postcode_sector,
    CASE WHEN $postcode_uk THEN sl_postcode_outward(postcode)
         ELSE sl_postcode_prefix(postcode, 3) END AS postcode_district,
    CASE WHEN $postcode_uk THEN sl_postcode_area(postcode)
         ELSE sl_postcode_prefix(postcode, 2) END AS postcode_area
FROM (SELECT raw, CASE WHEN $postcode_uk THEN sl_postcode_format(compact) ELSE compact END
             AS postcode
      FROM {{ postcodes }}) p
