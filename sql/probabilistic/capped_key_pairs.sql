-- The pairs one capped rule makes between the keyed reference and the keyed residual
-- source (capped_keys.among_pairs), from the residual's side: per source record with the
-- key, the reference records counted under its key string (the keys' counts held as their
-- columns, capped_key_counts_among.sql; a count over the cap keys no reference record).
-- Equal to blocked_pairs.sql's sum when the reference holds every counted record.
SELECT coalesce(sum(CAST(c.n AS DOUBLE)), 0)
FROM {{ src }} s
JOIN {{ counts }} c ON {{ key|sql }} = s.{{ column }}
WHERE c.n <= $cap
