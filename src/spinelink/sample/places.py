"""Regions, postcode areas with their post towns, and street names.

Postcodes are synthetic but UK-shaped: the outward code is a real area (letters) of the
region plus a district number, the inward code is a sector digit and two unit letters.
"""
from __future__ import annotations

import re

# (GSS code, label, share of population)
REGIONS: list[tuple[str, str, float]] = [
    ("E12000001", "North East", 0.045),
    ("E12000002", "North West", 0.124),
    ("E12000003", "Yorkshire and The Humber", 0.092),
    ("E12000004", "East Midlands", 0.082),
    ("E12000005", "West Midlands", 0.100),
    ("E12000006", "East of England", 0.107),
    ("E12000007", "London", 0.149),
    ("E12000008", "South East", 0.155),
    ("E12000009", "South West", 0.097),
    ("W92000004", "Wales", 0.049),
]

# region label -> "AREA:Post town:number of districts"
AREAS: dict[str, str] = {
    "North East": "NE:Newcastle upon Tyne:40 SR:Sunderland:8 DH:Durham:9 TS:Middlesbrough:29"
    " DL:Darlington:17",
    "North West": "M:Manchester:35 L:Liverpool:38 WA:Warrington:16 PR:Preston:9 BL:Bolton:9"
    " OL:Oldham:16 CA:Carlisle:28 LA:Lancaster:23 BB:Blackburn:12 FY:Blackpool:8"
    " WN:Wigan:8 SK:Stockport:17 CH:Chester:8",
    "Yorkshire and The Humber": "LS:Leeds:29 BD:Bradford:24 S:Sheffield:36 HU:Hull:20"
    " YO:York:26 HG:Harrogate:5 HD:Huddersfield:9 HX:Halifax:7 WF:Wakefield:17"
    " DN:Doncaster:40",
    "East Midlands": "NG:Nottingham:34 LE:Leicester:19 DE:Derby:24 LN:Lincoln:13"
    " NN:Northampton:18",
    "West Midlands": "B:Birmingham:50 CV:Coventry:37 WV:Wolverhampton:16 WS:Walsall:15"
    " DY:Dudley:14 ST:Stoke-on-Trent:21 TF:Telford:13 WR:Worcester:15 HR:Hereford:9",
    "East of England": "CB:Cambridge:25 IP:Ipswich:33 NR:Norwich:35 CO:Colchester:16"
    " CM:Chelmsford:24 SS:Southend-on-Sea:17 LU:Luton:7 SG:Stevenage:19 AL:St Albans:10"
    " PE:Peterborough:38",
    "London": "E:London:18 EC:London:4 N:London:22 NW:London:11 SE:London:28 SW:London:20"
    " W:London:14 WC:London:2 CR:Croydon:9 HA:Harrow:9 UB:Uxbridge:11 IG:Ilford:11"
    " RM:Romford:20 BR:Bromley:8 EN:Enfield:11 KT:Kingston upon Thames:24 TW:Twickenham:20",
    "South East": "OX:Oxford:29 RG:Reading:45 GU:Guildford:35 BN:Brighton:45 ME:Maidstone:20"
    " CT:Canterbury:21 TN:Tonbridge:40 MK:Milton Keynes:19 HP:High Wycombe:23"
    " SO:Southampton:53 PO:Portsmouth:41 RH:Redhill:20 SL:Slough:9",
    "South West": "BS:Bristol:49 BA:Bath:22 EX:Exeter:39 PL:Plymouth:35 TQ:Torquay:14"
    " TR:Truro:27 TA:Taunton:24 GL:Gloucester:56 BH:Bournemouth:31 SN:Swindon:16"
    " DT:Dorchester:11",
    "Wales": "CF:Cardiff:83 SA:Swansea:73 NP:Newport:44 LL:Llandudno:78 LD:Llandrindod Wells:8"
    " SY:Shrewsbury:25",
}


def parsed_areas() -> list[tuple[str, str, str, int]]:
    """(region label, area, post town, districts) for every area."""
    return [
        (region, area, town, int(districts))
        for region, spec in AREAS.items()
        for area, town, districts in re.findall(r"([A-Z]+):([^:]+?):(\d+)", spec)
    ]


STREET_NAMES = """
High Church Station Mill Park Victoria Albert Queen's King's Oak Elm Manor School Green
Orchard Meadow Chapel Bridge North South West East New Grove Springfield Windsor York
Highfield Richmond Cedar Beech Willow Ash Birch Hawthorn Holly Maple Rose Kingsway
Stanley Cromwell Nelson Wellington Market London Castle Abbey Priory Heath Moor Hill
Valley Brook River Lake Forest Woodland Farm Water Well Cross Fernhill Fairfield
Grange Hall Lodge Mount Primrose Clarence Alexandra Gladstone Milton Shakespeare Chaucer
""".split()

# (suffix, abbreviation)
STREET_TYPES: list[tuple[str, str]] = [
    ("Street", "St"), ("Road", "Rd"), ("Lane", "Ln"), ("Avenue", "Ave"), ("Close", "Cl"),
    ("Drive", "Dr"), ("Way", "Way"), ("Crescent", "Cres"), ("Gardens", "Gdns"),
    ("Terrace", "Terr"), ("Place", "Pl"), ("Grove", "Gr"), ("Court", "Ct"), ("View", "Vw"),
]

# letters used in the unit part of the inward code
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
