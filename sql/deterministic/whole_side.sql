-- The identifying columns of every record of a side: its residual when nothing is
-- excluded (the reference side when links are not one-to-one). residual.sql with
-- $exclude false gives the same rows, but DuckDB still joins every record to the links
-- to find out (a MARK join over the million reference records: 0.2 s at 1M).
SELECT {{ columns|sql }}
FROM {{ table }} t
