-- The integrated dataset: one row per accepted reference record. The |sql fragments are
-- built by spinelink.integrate.choose from quoted names and bound parameters: per linked
-- source its chosen record (`<s>__id`, `__method`, `__n_records`, `__selected_by`), per
-- variable its value, `__source` and `__status`.
SELECT
    i.record_id AS reference_id,
    CASE
        WHEN dup.duplicate_of IS NOT NULL THEN 'probable_duplicate'
        WHEN $n_sources > 0 AND coalesce(s.n_linked, 0) = $n_sources THEN 'linked_all'
        WHEN coalesce(s.n_linked, 0) > 0 THEN 'linked_some'
        ELSE 'reference_only'
    END AS unit_status,
    dup.duplicate_of{{ source_columns|sql }}{{ variable_columns|sql }}
FROM {{ spine }} AS i
LEFT JOIN (
    SELECT reference_id, count(*) AS n_linked{{ source_pivot|sql }}
    FROM {{ chosen }}
    WHERE source <> $reference
    GROUP BY reference_id
) AS s ON s.reference_id = i.record_id
LEFT JOIN (
    SELECT reference_id{{ variable_pivot|sql }}
    FROM {{ decided }}
    GROUP BY reference_id
) AS v ON v.reference_id = i.record_id
LEFT JOIN {{ duplicates }} AS dup ON dup.reference_id = i.record_id
ORDER BY i.record_id
