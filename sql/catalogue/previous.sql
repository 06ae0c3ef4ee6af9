-- The delivery of the same source received before this one (or on the same day with a
-- lower number), other than this one, whose run covered all the source's records (scope
-- 'full': a replacing delivery, or an incremental run's whole state; not a run on an added
-- delivery alone): what this delivery's indicators are compared with.
SELECT delivery_id
FROM deliveries
WHERE source = $source AND delivery_id <> $delivery_id AND scope = 'full'
  AND (received < $received OR (received = $received AND coalesce(number, 0) < $number))
ORDER BY received DESC, number DESC NULLS LAST, recorded_at DESC
LIMIT 1
