-- The columns of one side Splink scores on (probabilistic._scoring_view: the record id and
-- the columns the model's comparisons read), when spinelink makes the blocked pairs: the
-- blocking keys stay out of Splink's scoring join.
CREATE OR REPLACE TEMP VIEW {{ name }} AS SELECT {{ columns|sql }} FROM {{ table }}
