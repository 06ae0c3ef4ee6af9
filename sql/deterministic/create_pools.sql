-- Working pools: the records still unlinked on each side, and an empty links table.
CREATE OR REPLACE TEMP TABLE {{ ref_pool }} AS SELECT * FROM {{ ref }};
CREATE OR REPLACE TEMP TABLE {{ src_pool }} AS SELECT * FROM {{ src }};
CREATE OR REPLACE TEMP TABLE {{ links }} (
    reference_id VARCHAR, source_id VARCHAR, method VARCHAR, step INTEGER
);
