-- Share of a table's records that carry each column (non-NULL), one row.
SELECT count(*) AS n_records, {{ shares|sql }} FROM {{ table }}
