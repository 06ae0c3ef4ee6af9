-- The spine with the previous run's units carried: a unit of this run keeps its first
-- run, unless it is a reference unit whose record id now holds another person
-- (`renewed`: record_id, sql/incremental/reference_other_ids.sql): a new unit under the
-- old id, whose first run is this one; a previous unit no longer among this run's units is kept with its id, as
-- `linked` (to the least reference id its record now links to) when its record links,
-- `review` when its record is held for clerical review (no unit of its own: see
-- extension_units.sql), `active` when its record is still there unlinked, else
-- `record_removed`. `records`: origin, record_id of every current record of each linked
-- source; `links`: origin, source_id, reference_id of their links; `review`: origin,
-- source_id of their review pairs (all three composed by spinelink, one SELECT per
-- source).
WITH prev AS (SELECT * FROM {{ previous }}),
now AS (SELECT * FROM {{ units }}),
records AS ({{ records|sql }}),
links AS (SELECT origin, source_id, min(reference_id) AS linked_to
          FROM ({{ links|sql }}) l GROUP BY origin, source_id),
review AS (SELECT DISTINCT origin, source_id FROM ({{ review|sql }}) v),
old AS (
    SELECT p.unit_id, p.origin, p.source_id,
           CASE WHEN l.source_id IS NOT NULL THEN 'linked'
                WHEN v.source_id IS NOT NULL THEN 'review'
                WHEN r.record_id IS NOT NULL THEN 'active'
                ELSE 'record_removed' END AS status,
           CASE WHEN l.source_id IS NOT NULL THEN l.linked_to ELSE p.linked_to END AS linked_to,
           p.first_run
    FROM prev p
    LEFT JOIN records r ON r.origin = p.origin AND r.record_id = p.source_id
    LEFT JOIN links l ON l.origin = p.origin AND l.source_id = p.source_id
    LEFT JOIN review v ON v.origin = p.origin AND v.source_id = p.source_id
    WHERE p.unit_id NOT IN (SELECT unit_id FROM now)
)
SELECT n.unit_id, n.origin, n.source_id, n.status, n.linked_to,
       CASE WHEN o.record_id IS NOT NULL THEN n.first_run
            ELSE coalesce(p.first_run, n.first_run) END AS first_run
FROM now n LEFT JOIN prev p ON p.unit_id = n.unit_id
LEFT JOIN {{ renewed }} o ON n.origin = $reference AND o.record_id = n.unit_id
UNION ALL
SELECT unit_id, origin, source_id, status, linked_to, first_run FROM old
