-- changes/<source>.parquet: every record whose status, links, review pairs or link methods
-- changed. `status`: each record's status (record_id, status); `old` / `new`: the previous
-- and the current links, `old_review` / `new_review` the review pairs (reference_id,
-- source_id, method) of the records listed (`only`: a condition on source_id). A record's
-- links and methods are its values sorted and `;`-joined ('' for none), its review pairs
-- among them with the method `review:<method>`; its outcome is `linked` (it has a link),
-- `review` (review pairs only), `unlinked`, or '' where the record is not in that run (a
-- new record before, a removed one now). An unchanged record is listed when its links,
-- review pairs or methods moved: `relinked` when its reference ids or its outcome
-- changed, `link method changed` when only the method did (deterministic to probabilistic).
WITH pairs AS (
    SELECT 'old' AS side, reference_id, source_id, CAST(method AS VARCHAR) AS method
    FROM {{ old|sql }}
    UNION ALL
    SELECT 'old', reference_id, source_id, 'review:' || CAST(method AS VARCHAR)
    FROM {{ old_review|sql }}
    UNION ALL
    SELECT 'new', reference_id, source_id, CAST(method AS VARCHAR) FROM {{ new|sql }}
    UNION ALL
    SELECT 'new', reference_id, source_id, 'review:' || CAST(method AS VARCHAR)
    FROM {{ new_review|sql }}
), sets AS (
    SELECT side, CAST(source_id AS VARCHAR) AS record_id,
           -- (sorted lists joined, not string_agg's ORDER BY: Spark 3.5 has no LISTAGG)
           array_to_string(list_sort(list(CAST(reference_id AS VARCHAR))), ';') AS links,
           array_to_string(list_sort(list(method)), ';') AS methods,
           max(CASE WHEN method LIKE 'review:%' THEN 0 ELSE 1 END) AS has_link
    FROM pairs
    WHERE {{ only|sql }}
    GROUP BY 1, 2
), listed AS (
    SELECT s.record_id, s.status,
           coalesce(o.links, '') AS old_links, coalesce(n.links, '') AS new_links,
           coalesce(o.methods, '') AS old_method, coalesce(n.methods, '') AS new_method,
           CASE WHEN s.status = 'new' THEN '' WHEN o.has_link = 1 THEN 'linked'
                WHEN o.has_link = 0 THEN 'review' ELSE 'unlinked' END AS old_outcome,
           CASE WHEN s.status = 'removed' THEN '' WHEN n.has_link = 1 THEN 'linked'
                WHEN n.has_link = 0 THEN 'review' ELSE 'unlinked' END AS new_outcome
    FROM {{ status }} s
    LEFT JOIN sets o ON o.side = 'old' AND o.record_id = s.record_id
    LEFT JOIN sets n ON n.side = 'new' AND n.record_id = s.record_id
)
SELECT record_id, status, old_links, new_links, old_method, new_method, old_outcome,
       new_outcome,
       CASE status WHEN 'new' THEN 'new' WHEN 'changed' THEN 'changed record'
                   WHEN 'removed' THEN 'removed in a replacing delivery'
                   WHEN 'unchanged' THEN
                       CASE WHEN old_links <> new_links OR old_outcome <> new_outcome
                            THEN 'relinked' ELSE 'link method changed' END END AS reason
FROM listed
WHERE status <> 'unchanged' OR old_links <> new_links OR old_method <> new_method
ORDER BY record_id
