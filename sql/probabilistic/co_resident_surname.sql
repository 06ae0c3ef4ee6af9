-- Reference records with a surname and an address (n), and the pairs of distinct such
-- records at one household-sized address (2 to $max_residents such records: households,
-- not institutions) that share the surname (home_scale.surname_at_home: how many relatives
-- of one surname a reference record has at home). Two records of one person (the same
-- {{ person|sql }}, when it is known) are one person entered twice, not two co-residents.
WITH rec AS (
    SELECT address, last_name,
           CASE WHEN first_name IS NOT NULL THEN {{ person|sql }} END AS person
    FROM {{ ref }}
    WHERE address IS NOT NULL AND last_name IS NOT NULL
),
homes AS (
    SELECT address FROM rec GROUP BY address HAVING count(*) BETWEEN 2 AND $max_residents
),
at_home AS (
    SELECT r.* FROM rec r JOIN homes h ON h.address = r.address
),
by_surname AS (
    SELECT count(*) * (count(*) - 1) / 2 AS pairs FROM at_home GROUP BY address, last_name
),
twice AS (
    SELECT count(*) * (count(*) - 1) / 2 AS pairs FROM at_home WHERE person IS NOT NULL
    GROUP BY address, last_name, person
)
SELECT (SELECT count(*) FROM rec) AS n,
       (SELECT coalesce(sum(pairs), 0) FROM by_surname)
           - (SELECT coalesce(sum(pairs), 0) FROM twice) AS same_surname
