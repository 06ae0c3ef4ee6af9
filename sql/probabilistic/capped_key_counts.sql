-- How often each blocking key occurs on the reference side (all records): the key k (its
-- columns as text joined by '|'), its count n, and its columns as text kc0, kc1, ...
-- (add_capped_key.sql joins a table to the counts on those: no key made per record).
-- parts: "CAST(col AS VARCHAR) AS kc0, ..."; kcs: "kc0, kc1, ...".
SELECT concat_ws('|', {{ kcs|sql }}) AS k, count(*) AS n, {{ kcs|sql }}
FROM (SELECT {{ parts|sql }} FROM {{ ref }} WHERE {{ present|sql }}) AS r
GROUP BY {{ kcs|sql }}
