-- changes/<source>.parquet: every record whose status or links changed. `status`: each
-- record's status (record_id, status); `old` / `new`: the previous and the current links
-- (reference_id, source_id, method) of the records listed (`only`: a condition on
-- source_id). A record's links and methods are its values sorted and `;`-joined ('' for
-- none); an unchanged record is listed only when its links moved.
WITH sets AS (
    SELECT side, CAST(source_id AS VARCHAR) AS record_id,
           -- (sorted lists joined, not string_agg's ORDER BY: Spark 3.5 has no LISTAGG)
           array_to_string(list_sort(list(CAST(reference_id AS VARCHAR))), ';') AS links,
           array_to_string(list_sort(list(CAST(method AS VARCHAR))), ';') AS methods
    FROM (SELECT 'old' AS side, reference_id, source_id, method FROM {{ old|sql }}
          UNION ALL
          SELECT 'new' AS side, reference_id, source_id, method FROM {{ new|sql }})
    WHERE {{ only|sql }}
    GROUP BY 1, 2
), listed AS (
    SELECT s.record_id, s.status,
           coalesce(o.links, '') AS old_links, coalesce(n.links, '') AS new_links,
           coalesce(o.methods, '') AS old_method, coalesce(n.methods, '') AS new_method
    FROM {{ status }} s
    LEFT JOIN sets o ON o.side = 'old' AND o.record_id = s.record_id
    LEFT JOIN sets n ON n.side = 'new' AND n.record_id = s.record_id
)
SELECT record_id, status, old_links, new_links, old_method, new_method,
       CASE status WHEN 'new' THEN 'new' WHEN 'changed' THEN 'changed record'
                   WHEN 'removed' THEN 'removed in a replacing delivery'
                   WHEN 'unchanged' THEN 'relinked' END AS reason
FROM listed
WHERE status <> 'unchanged' OR old_links <> new_links
ORDER BY record_id
