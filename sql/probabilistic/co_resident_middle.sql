-- Whether relatives share a middle name (evidence.middle_is_personal): of the reference
-- records with a middle name, a surname and an address, the pairs at one household-sized
-- address (2 to $max_residents such records) with one surname (`kin_pairs`), how many of
-- them agree on the middle name's first letter (`kin_agree`), and the chance that two
-- records taken at random agree on it (`random_agree`). Where the middle name is a
-- patronymic, brothers and sisters share it; where it is given, as a first name is,
-- co-residents agree on it about as often as strangers. Two records of one person (the
-- same {{ person|sql }}) are one person entered twice, not two co-residents. One scan of
-- the reference: the records counted by address, surname, initial and person, the rest
-- sums of those counts.
WITH g AS (
    SELECT address, last_name, substr(middle_name, 1, 1) AS initial,
           CASE WHEN first_name IS NOT NULL THEN {{ person|sql }} END AS person,
           count(*) AS c
    FROM {{ ref }}
    WHERE middle_name IS NOT NULL AND address IS NOT NULL AND last_name IS NOT NULL
    GROUP BY ALL
),
homes AS (
    SELECT address, last_name, sum(c) * (sum(c) - 1) / 2 AS pairs
    FROM g GROUP BY address, last_name HAVING sum(c) BETWEEN 2 AND $max_residents
),
at_home AS (
    SELECT g.* FROM g JOIN homes h ON h.address = g.address AND h.last_name = g.last_name
),
agree AS (
    SELECT sum(c) * (sum(c) - 1) / 2 AS pairs FROM at_home
    GROUP BY address, last_name, initial
),
twice AS (
    SELECT sum(c) * (sum(c) - 1) / 2 AS pairs FROM at_home WHERE person IS NOT NULL
    GROUP BY address, last_name, person
),
initials AS (
    SELECT sum(c) AS c FROM g GROUP BY initial
)
SELECT (SELECT coalesce(sum(pairs), 0) FROM homes)
           - (SELECT coalesce(sum(pairs), 0) FROM twice) AS kin_pairs,
       (SELECT coalesce(sum(pairs), 0) FROM agree)
           - (SELECT coalesce(sum(c * (c - 1) / 2), 0) FROM at_home WHERE person IS NOT NULL)
           AS kin_agree,
       (SELECT sum(c * c) / greatest(sum(c) * sum(c), 1) FROM initials) AS random_agree
