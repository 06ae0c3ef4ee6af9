-- Every blocking rule's pairs (blocked_pairs.sql: one row per rule, k and pairs) in one
-- statement: 26 statements, one per rule, were 1.2 s of CPU at a million records, each
-- its own plan and its own pass at two threads.
{{ rules|sql }}
