-- The records of Splink's concatenation (`concat`) that an EM session's sampled pairs
-- name, as Splink's own DuckDB filter keeps them (`uid`: its "<dataset>-__-<record id>"
-- expression), taken *before* their term frequencies are joined
-- (splink_compat._records_of_pairs_with_tf): the same records, read from every record's
-- term-frequency tables.
select * from {{ concat|sql }}
where {{ uid|sql }} in (select join_key_l from __splink__blocked_id_pairs)
   or {{ uid|sql }} in (select join_key_r from __splink__blocked_id_pairs)
