-- Whether each identifying column holds a value longer than $max_len characters ({{ flags }}:
-- one `max(length(column)) > $max_len AS c<i>` per column), in one pass over the rows:
-- check_length.sql then finds the rows of the columns that do.
SELECT {{ flags|sql }}
FROM {{ raw }}
