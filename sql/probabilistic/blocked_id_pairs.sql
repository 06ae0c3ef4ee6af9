-- The pairs a model's blocking rules make between two tables, as Splink's blocked-pairs
-- table, for Splink to score (linker.table_management.register_blocked_pairs_for_predict):
-- match_key the first rule, in the model's order, that makes the pair (Splink's own
-- blocking gives the same), join keys "<dataset>-__-<record id>" (Splink's). Splink's
-- blocking takes each rule's join less the pairs any earlier rule makes, a NOT over all of
-- them: for 25 rules DuckDB spends 0.1-0.3 s planning that query whatever the rows (most
-- of the blocking of an incremental run's small residual, issue 17). Here each rule's join
-- stands alone (blocked_rule_pairs.sql, joined by UNION ALL) and the pairs are made
-- distinct by their first rule. $left, $right: the two datasets' names.
SELECT CAST(min(k) AS VARCHAR) AS match_key,
       $left || '-__-' || l_id AS join_key_l,
       $right || '-__-' || r_id AS join_key_r
FROM ({{ rules|sql }}) AS p
GROUP BY l_id, r_id
