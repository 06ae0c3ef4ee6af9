-- Every cascade step's key of each record of a table (those meeting `where`), hashed (0
-- where the record lacks one of the key's fields): record_id, h0, h1, ... (`hashes`: one
-- column per step). A hash, not the key: records whose keys merely collide are only taken
-- into the closure too, and linked on their real keys.
SELECT CAST(record_id AS VARCHAR) AS record_id, {{ hashes|sql }}
FROM {{ table }}
WHERE {{ where|sql }}
