-- The pairs one blocking rule (a conjunction of column equalities, `on`) makes between the
-- two tables, with the rule's position `k` in the model (blocked_id_pairs.sql); `chunk`:
-- nothing, or a condition keeping one chunk of the left table's records.
SELECT {{ k|sql }} AS k, l.{{ uid }} AS l_id, r.{{ uid }} AS r_id
FROM {{ left }} AS l JOIN {{ right }} AS r ON {{ on|sql }}
{{ chunk|sql }}
