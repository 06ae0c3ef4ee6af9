-- Indicators that fell by more than their interval: this delivery's 95% interval lies
-- wholly below the previous delivery's (its upper bound under the previous lower bound),
-- by at least $min_drop (intervals of no width, 1.0 [1.0, 1.0] then 0.9996 [0.9996,
-- 0.9996], are disjoint for any change: a fall too small to matter is no flag),
-- per subgroup and indicator (link rate, estimated precision, estimated recall; the link
-- rate only when $rates: not for a run on an added delivery alone, whose link rates are
-- of the added records).
WITH cur AS (SELECT * FROM {{ current }}),
prev AS (SELECT * FROM indicators WHERE delivery_id = $previous_id),
pairs AS (
    SELECT c.variable, c.value, ind.indicator,
           CASE ind.indicator WHEN 'link_rate' THEN p.link_rate
                WHEN 'est_precision' THEN p.est_precision ELSE p.est_recall END AS previous,
           CASE ind.indicator WHEN 'link_rate' THEN p.link_rate_low
                WHEN 'est_precision' THEN p.est_precision_low ELSE p.est_recall_low END
               AS previous_low,
           CASE ind.indicator WHEN 'link_rate' THEN p.link_rate_high
                WHEN 'est_precision' THEN p.est_precision_high ELSE p.est_recall_high END
               AS previous_high,
           CASE ind.indicator WHEN 'link_rate' THEN c.link_rate
                WHEN 'est_precision' THEN c.est_precision ELSE c.est_recall END AS current,
           CASE ind.indicator WHEN 'link_rate' THEN c.link_rate_low
                WHEN 'est_precision' THEN c.est_precision_low ELSE c.est_recall_low END
               AS current_low,
           CASE ind.indicator WHEN 'link_rate' THEN c.link_rate_high
                WHEN 'est_precision' THEN c.est_precision_high ELSE c.est_recall_high END
               AS current_high
    FROM cur c
    JOIN prev p USING (variable, value)
    CROSS JOIN (VALUES ('link_rate'), ('est_precision'), ('est_recall')) ind(indicator))
SELECT * FROM pairs
WHERE current_high < previous_low AND previous - current >= $min_drop
  AND ($rates OR indicator <> 'link_rate')
ORDER BY variable, value, indicator
