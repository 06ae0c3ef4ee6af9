-- The reference's capped blocking keys apart from its records (without the quality stage,
-- links not one-to-one): the record id and each capped rule's key (add_capped_key.sql's
-- columns and joins), only for the records that hold at least one key (`held`: per rule,
-- its count within the cap). Prediction's capped rules join this table; every other
-- reader takes the whole reference's view, not a copy of it.
SELECT t.record_id, {{ columns|sql }}
FROM {{ rows|sql }} t
{{ joins|sql }}
WHERE {{ held|sql }}
