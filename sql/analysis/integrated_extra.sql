-- integrated.parquet with the analysis stage's columns joined on: each source's linkage
-- weight (`<s>__weight`) and, per imputed variable, the imputed value and its status
-- (`imputed:<method>`) where the unit had none. The |sql lists are built by
-- spinelink.analysis.stage from quoted column names; `extra` has one row per unit.
SELECT {{ columns|sql }}
FROM {{ integrated }} AS i
LEFT JOIN {{ extra }} AS x ON x.reference_id = i.reference_id
ORDER BY i.reference_id
