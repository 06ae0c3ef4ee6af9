-- The previous run's reference record ids that now hold another person
-- (`shared`: sql/incremental/reference_shared.sql), as `record_id`.
SELECT id AS record_id FROM ({{ shared|sql }}) s WHERE another_person ORDER BY id
