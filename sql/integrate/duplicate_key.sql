-- Reference records sharing one duplicate key (all its fields present): each record with
-- the lowest record id of its group, where the group has more than one record and meets
-- the key's group condition (`group_ok`, e.g. one of its first names is an initial).
SELECT record_id, first_id
FROM (
    SELECT record_id,
           min(record_id) OVER (PARTITION BY {{ key|sql }}) AS first_id,
           count(*) OVER (PARTITION BY {{ key|sql }}) AS n,
           {{ group_ok|sql }} AS group_ok
    FROM {{ standardised }}
    WHERE {{ present|sql }}
)
WHERE n > 1 AND record_id <> first_id AND group_ok
