-- Working pools: the records still unlinked on each side, and an empty links table.
-- A pool holds only the columns the cascade reads (record_id, the steps' key and guard
-- fields: spinelink.deterministic.pool_columns), not every standardised column: at a
-- million records a copy of the whole table cost a second a side. ref_pool_kind: TABLE,
-- or VIEW when links are not one-to-one (no reference record ever leaves its pool, so
-- the pool is the reference's columns as they are: a copy cost half a second at 1M).
-- The source's pool starts as a view of every record ({{ src_all }}), which the first
-- step reads; first_pool.sql then makes the pool of the records that step left (the copy
-- of every record cost 0.22 s at 1M, and the first step's links were then deleted from it).
CREATE OR REPLACE TEMP {{ ref_pool_kind|sql }} {{ ref_pool }} AS SELECT {{ ref_columns|sql }} FROM {{ ref }};
CREATE OR REPLACE TEMP VIEW {{ src_all }} AS SELECT {{ src_columns|sql }} FROM {{ src }};
CREATE OR REPLACE TEMP TABLE {{ links }} (
    reference_id VARCHAR, source_id VARCHAR, method VARCHAR, step INTEGER
);
