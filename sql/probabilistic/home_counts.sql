-- Per source record with a surname and an address: the reference records of its surname
-- at its address, where that address holds at most $max_residents reference records (a
-- household, not an institution). home_scale.fit reads how many such relatives the source
-- records whose person the reference lacks have at home.
-- Only the reference records at an address some such source record holds are read (an
-- address's count is of all its reference records either way): at a million records the
-- residual's addresses, not the whole reference grouped twice.
WITH rec AS (
    SELECT address, last_name FROM {{ ref }}
    WHERE address IS NOT NULL AND last_name IS NOT NULL
      AND address IN (SELECT address FROM {{ src }}
                      WHERE address IS NOT NULL AND last_name IS NOT NULL)
),
homes AS (
    SELECT address FROM rec GROUP BY address HAVING count(*) <= $max_residents
),
kin AS (
    SELECT r.address, r.last_name, count(*) AS k
    FROM rec r JOIN homes h ON h.address = r.address
    GROUP BY r.address, r.last_name
)
SELECT CAST(s.record_id AS VARCHAR) AS source_id, coalesce(k.k, 0) AS k
FROM {{ src }} s
LEFT JOIN kin k ON k.address = s.address AND k.last_name = s.last_name
WHERE s.address IS NOT NULL AND s.last_name IS NOT NULL
ORDER BY source_id
