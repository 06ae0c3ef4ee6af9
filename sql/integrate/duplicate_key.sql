-- Reference records sharing one duplicate key (all its fields present): each record with
-- the lowest record id of its group, where the group has more than one record.
SELECT record_id, first_id
FROM (
    SELECT record_id,
           min(record_id) OVER (PARTITION BY {{ key|sql }}) AS first_id,
           count(*) OVER (PARTITION BY {{ key|sql }}) AS n
    FROM {{ standardised }}
    WHERE {{ present|sql }}
)
WHERE n > 1 AND record_id <> first_id
