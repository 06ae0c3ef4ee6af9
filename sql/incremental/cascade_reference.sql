-- The reference records holding a key value of the closure at some cascade step: a
-- step's hashed key (hashed as cascade_keys.sql hashes it) among that step's values.
-- `holds`: per step i, `(present AND hash(key) IN (SELECT h FROM <values> WHERE step =
-- i))`, joined by OR. Made a view: the cascade copies it into its pool once.
SELECT *
FROM {{ table }}
WHERE {{ holds|sql }}
