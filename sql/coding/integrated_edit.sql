-- the integrated output after set_missing edit rules: blanked values NULL, their status
-- `edit_rule` (`blank`: one row per column and unit to blank)
WITH b AS (
    SELECT reference_id AS _blank_id, {{ flags|sql }}
    FROM {{ blank }}
    GROUP BY reference_id
)
SELECT {{ columns|sql }}
FROM {{ integrated }} AS i
LEFT JOIN b ON b._blank_id = i.reference_id
ORDER BY i.reference_id
