-- Links (of any source) whose reference_id is not an accepted reference record.
SELECT l.source, count(*) AS n
FROM {{ links }} AS l
ANTI JOIN {{ spine }} AS i ON i.record_id = l.reference_id
GROUP BY l.source
ORDER BY l.source
