-- Whether some record of a table has each boolean flag column true (1) or none (0), one
-- row: a model level with `present:` is used only where its flag is (model_fields).
SELECT {{ anys|sql }} FROM {{ table }}
