-- Add the blocking key columns of every capped rule at once (one pass over the table):
-- each is NULL where its key is too common on the reference side (more than its rule's
-- cap, bound as $cap_<i>), so one frequent name cannot flood prediction with pairs.
-- columns: per rule i, the CASE on its counts' n giving blk_capped_<i>;
-- joins: per rule i, a LEFT JOIN of its counts (alias c<i>) on the key over t;
-- rows: the table's (quoted) name, or the query its rows come from, in parentheses.
SELECT t.*, {{ columns|sql }}
FROM {{ rows|sql }} t
{{ joins|sql }}
