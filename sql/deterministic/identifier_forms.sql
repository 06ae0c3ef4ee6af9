-- An identifier both sides populate that linked no record: how many records hold it on
-- each side, and how many distinct source values agree with a reference value once
-- leading zeros are dropped (a numeric column, a Parquet integer or a spreadsheet cell,
-- loses them: 0703729684 read as 703729684).
SELECT (SELECT count({{ col }}) FROM {{ ref }}) AS n_ref,
       (SELECT count({{ col }}) FROM {{ src }}) AS n_src,
       (SELECT count(*) FROM (SELECT DISTINCT ltrim(CAST({{ col }} AS VARCHAR), '0') AS v
                              FROM {{ src }} WHERE {{ col }} IS NOT NULL) s
        WHERE s.v IN (SELECT ltrim(CAST({{ col }} AS VARCHAR), '0') FROM {{ ref }}
                      WHERE {{ col }} IS NOT NULL)) AS agree_without_zeros
