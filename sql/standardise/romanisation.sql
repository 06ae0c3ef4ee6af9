-- The romanisation key of a cleaned name (spinelink.romanisation): the rules of
-- linkage_models/romanisation.csv as a chain of replace() calls over the name padded with
-- one space each side (word-edge rules match that space), trimmed; NULL for NULL. The
-- statements are built from the validated table (letters and spaces only): helper macros
-- sl_name_rom_0, sl_name_rom_1, ... of a few replacements each, then sl_name_rom(s).
{{ macros|sql }}
