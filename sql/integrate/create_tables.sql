-- The long working tables of the integration stage, empty; the insert_*.sql files fill
-- them one source (and variable) at a time.
CREATE OR REPLACE TABLE {{ values }} (
    source VARCHAR, record_id VARCHAR, variable VARCHAR, raw_value VARCHAR, std_value VARCHAR
);
CREATE OR REPLACE TABLE {{ dates }} (
    variable VARCHAR, source VARCHAR, record_id VARCHAR, rec_date DATE
);
CREATE OR REPLACE TABLE {{ links }} (
    source VARCHAR, reference_id VARCHAR, record_id VARCHAR, method VARCHAR,
    match_probability DOUBLE
);
CREATE OR REPLACE TABLE {{ keys }} (
    source VARCHAR, record_id VARCHAR, sel_date DATE, sel_rank DOUBLE, sel_text VARCHAR
);
