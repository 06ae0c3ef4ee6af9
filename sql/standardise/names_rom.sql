-- The distinct names (names.sql) with the romanisation key of the comparison form, and of
-- its first word for names of several words (rom_head; NULL for one word, whose key is
-- rom). Every rule acts within one word (spinelink.romanisation), so rom_head is the
-- first word of rom. rom_joined: the key of the name with its words written together, the
-- surname key (last_name_rom), so that a particle written apart or together, or with an
-- apostrophe, gives one key: van der Berg / Vanderberg, De la Cruz / Delacruz,
-- O Neil / O'Neil / ONeil, Mc Donald / McDonald (and double surnames with or without
-- the hyphen). Keyed after joining, so that a rule across the join (van Nistelrooy: nn)
-- acts as in the name written together.
SELECT
    raw, clean, head, tail,
    sl_name_rom(clean) AS rom,
    CASE WHEN tail IS NOT NULL THEN sl_name_rom(head) END AS rom_head,
    CASE WHEN tail IS NOT NULL THEN sl_name_rom(replace(clean, ' ', ''))
         ELSE sl_name_rom(clean) END AS rom_joined
FROM {{ names }}
