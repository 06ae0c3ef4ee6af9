-- the intake table after the edit rules' actions: quarantined rows removed, values that a
-- set_missing rule blanks set to NULL (`blank`: one row per column and row to blank)
WITH b AS (
    SELECT _row AS _blank_row, {{ flags|sql }}
    FROM {{ blank }}
    GROUP BY _row
)
SELECT {{ columns|sql }}
FROM {{ intake }} AS i
LEFT JOIN b ON b._blank_row = i._row
LEFT JOIN {{ quarantined }} AS q ON q._row = i._row
WHERE q._row IS NULL
ORDER BY i._row
