-- The links without those held as probable relatives (spinelink.relatives.hold).
SELECT * FROM {{ links }} l
WHERE NOT EXISTS (SELECT 1 FROM {{ held }} h
                  WHERE h.reference_id = l.reference_id AND h.source_id = l.source_id)
