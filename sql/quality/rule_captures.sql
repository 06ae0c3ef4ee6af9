-- For each candidate pair: the atoms of the prediction blocking rules that hold (bit j:
-- column equality j, both sides present and equal), the atoms whose source column is
-- present, and the capped keys small enough on the source side (quality.recapture).
SELECT p.reference_id, p.source_id, {{ agree|sql }} AS agree, {{ avail|sql }} AS avail,
       {{ caps|sql }} AS caps
FROM {{ pairs }} p
JOIN {{ ref }} l ON l.record_id = p.reference_id
JOIN {{ src }} r ON r.record_id = p.source_id
