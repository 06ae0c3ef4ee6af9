-- The first names of a source record `s` and a reference record `r` are forms of one
-- name: one of the agreeing levels of the first-name comparison in person_auto.yaml (the
-- same or canonical name, Metaphone, a nickname of one name, a romanisation variant,
-- Jaro-Winkler 0.8, an initial), or the first name standing in the middle or last name's
-- place. A boolean expression (both first names present), used by relatives.sql and the
-- direct identifiers' guard (deterministic/identifier_guard.sql).
(s.first_name = r.first_name
   OR s.first_name_canon = r.first_name_canon
   OR s.first_name_canon_rom = r.first_name_canon_rom
   OR s.first_name_mp = r.first_name_mp
   OR s.first_name IN (r.first_name_root1, r.first_name_root2, r.first_name_root3)
   OR r.first_name IN (s.first_name_root1, s.first_name_root2, s.first_name_root3)
   OR s.first_name_root1 IN (r.first_name_root1, r.first_name_root2, r.first_name_root3)
   OR s.first_name_root2 IN (r.first_name_root1, r.first_name_root2, r.first_name_root3)
   OR s.first_name_root3 IN (r.first_name_root1, r.first_name_root2, r.first_name_root3)
   OR jaro_winkler_at_least(s.first_name, r.first_name, 0.8)
   OR (s.first_initial = r.first_initial
       AND (length(s.first_name) = 1 OR length(r.first_name) = 1))
   -- a middle name used as the first, or the names the other way round
   OR s.first_name = r.middle_name OR r.first_name = s.middle_name
   OR s.first_name = r.last_name OR r.first_name = s.last_name
   OR s.first_name_canon_rom = r.last_name_rom
   OR r.first_name_canon_rom = s.last_name_rom)
