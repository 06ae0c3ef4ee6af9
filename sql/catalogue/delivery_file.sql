-- The file a delivery id was recorded with (a run's delivery `<source>#<number>`): a later
-- run under that id with another file would replace the record of that delivery.
SELECT file_name, file_sha256, received, output_dir
FROM deliveries
WHERE delivery_id = $delivery_id
