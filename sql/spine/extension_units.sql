-- The unlinked records of one linked source as spine units (extend_spine): id
-- `<source>:<record id>`.
SELECT CAST($source_{{ i|sql }} AS VARCHAR) || ':' || CAST(record_id AS VARCHAR), CAST($source_{{ i|sql }} AS VARCHAR),
       CAST(record_id AS VARCHAR), 'active', CAST(NULL AS VARCHAR), CAST($here AS VARCHAR)
FROM {{ unlinked }}
