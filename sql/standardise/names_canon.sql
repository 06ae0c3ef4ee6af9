-- Nickname resolution per distinct name (names_rom.sql's result), for the name as a whole
-- (canon, canon_rom) and for its first word (canon_head, canon_rom_head: the first name
-- when the source's first name is split): the Ukrainian / Russian table by romanisation
-- key first, then the general table by comparison form, else the name itself.
-- {{ nicknames }} is nicknames.sql's view (one row per by_rom and key). root1..3 (and
-- root*_head for the first word): the names the first name is a nickname of, from
-- {{ roots }} (nickname_roots.sql), for the level "nickname of one name".
SELECT
    n.raw, n.clean, n.head, n.tail,
    n.rom,
    n.rom_middle,
    n.rom_joined,
    coalesce(n.rom_head, n.rom) AS rom_head,
    coalesce(wr.canonical, wk.canonical, n.clean) AS canon,
    coalesce(wr.canonical_rom, wk.canonical_rom, n.rom) AS canon_rom,
    coalesce(hr.canonical, hk.canonical, n.head) AS canon_head,
    coalesce(hr.canonical_rom, hk.canonical_rom, n.rom_head, n.rom) AS canon_rom_head,
    rk.root1, rk.root2, rk.root3,
    rh.root1 AS root1_head, rh.root2 AS root2_head, rh.root3 AS root3_head
FROM {{ names }} AS n
LEFT JOIN {{ nicknames }} AS wk ON NOT wk.by_rom AND wk.key = n.clean
LEFT JOIN {{ nicknames }} AS wr ON wr.by_rom AND wr.key = n.rom
LEFT JOIN {{ nicknames }} AS hk ON NOT hk.by_rom AND hk.key = n.head
LEFT JOIN {{ nicknames }} AS hr ON hr.by_rom AND hr.key = coalesce(n.rom_head, n.rom)
LEFT JOIN {{ roots }} AS rk ON rk.key = n.clean
LEFT JOIN {{ roots }} AS rh ON rh.key = n.head
