-- Nickname -> canonical first name, both in comparison form. A nickname listed with more
-- than one canonical name (al: albert, alan, ...) is ambiguous and left unresolved.
CREATE OR REPLACE TEMP VIEW {{ view }} AS
WITH pairs AS (
    SELECT sl_clean_text(nickname) AS nickname, sl_clean_text(canonical) AS canonical
    FROM {{ raw }}
)
SELECT nickname, min(canonical) AS canonical
FROM pairs
WHERE nickname IS NOT NULL AND canonical IS NOT NULL AND nickname <> canonical
GROUP BY nickname
HAVING count(DISTINCT canonical) = 1
