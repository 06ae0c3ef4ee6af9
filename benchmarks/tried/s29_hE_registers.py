"""Session 29 (helper hE), a hand-made synthetic set (no real people) tried as a new user:
`python benchmarks/tried/s29_hE_registers.py DIR` writes census.csv, tax.csv (1-3 rows a
person), households.csv (keyed by household + person number, sex Ч/Ж), pensions.csv (no
dates of birth), survey.csv (free-text answers: Ukrainian, Russian, Polish, German, codes,
compound answers, blanks); copy s29_hE_registers_job.yaml to DIR/job.yaml and run it."""

import csv
import datetime as dt
import random
import sys

out = sys.argv[1]
rng = random.Random(7)
first_m = [
    "Oleksandr",
    "Andrii",
    "Taras",
    "Petro",
    "Ivan",
    "Mykola",
    "Serhii",
    "Dmytro",
    "Yurii",
    "Bohdan",
    "Vasyl",
    "Roman",
]
first_f = [
    "Olena",
    "Halyna",
    "Iryna",
    "Natalia",
    "Oksana",
    "Tetiana",
    "Mariia",
    "Yulia",
    "Svitlana",
    "Liudmyla",
    "Kateryna",
    "Anna",
]
last = [
    "Kovalenko",
    "Shevchenko",
    "Bondarenko",
    "Tkachenko",
    "Kravchenko",
    "Melnyk",
    "Boiko",
    "Oliinyk",
    "Lysenko",
    "Moroz",
    "Marchenko",
    "Savchenko",
    "Rudenko",
    "Petrenko",
    "Klymenko",
    "Pavlenko",
    "Levchenko",
    "Karpenko",
]
streets = ["vul. Shevchenka", "vul. Franka", "prosp. Peremohy", "vul. Sadova", "vul. Lesi Ukrainky"]
towns = [("Lviv", "79000"), ("Kyiv", "01001"), ("Brody", "80600"), ("Poltava", "36000")]
persons = []
hh = 0
while len(persons) < 300:
    hh += 1
    ln = rng.choice(last)
    t, pc = rng.choice(towns)
    addr = f"{rng.randint(1, 120)} {rng.choice(streets)}, {t}"
    for k in range(rng.randint(1, 4)):
        sex = rng.choice("MF")
        fn = rng.choice(first_m if sex == "M" else first_f)
        dob = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 30000))
        persons.append(
            dict(
                pid=f"C{len(persons) + 1:04d}",
                hh=f"H{hh:03d}",
                line=k + 1,
                fn=fn,
                ln=ln,
                sex=sex,
                dob=dob,
                addr=addr,
                pc=pc,
            )
        )


def w(name, header, rows, delim=","):
    with open(f"{out}/{name}", "w", newline="", encoding="utf-8") as f:
        wr = csv.writer(f, delimiter=delim)
        wr.writerow(header)
        wr.writerows(rows)


w(
    "census.csv",
    ["person_id", "household_id", "first_name", "last_name", "dob", "sex", "address", "postcode"],
    [
        [
            p["pid"],
            p["hh"],
            p["fn"],
            p["ln"],
            p["dob"].strftime("%d.%m.%Y"),
            p["sex"],
            p["addr"],
            p["pc"],
        ]
        for p in persons
    ],
)
# tax register: several rows per person (one per employer), conflicting sex/address sometimes
rows = []
n = 0
for p in persons[:220]:
    for _j in range(rng.randint(1, 3)):
        n += 1
        sex = p["sex"] if rng.random() > 0.05 else ("F" if p["sex"] == "M" else "M")
        addr = (
            p["addr"]
            if rng.random() > 0.2
            else f"{rng.randint(1, 120)} vul. Nova, {p['addr'].split(', ')[-1]}"
        )
        dob = p["dob"] if rng.random() > 0.05 else p["dob"] + dt.timedelta(days=1)
        rows.append(
            [
                f"T{n:05d}",
                p["fn"],
                p["ln"],
                dob.isoformat(),
                sex,
                addr,
                p["pc"],
                (dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 400))).isoformat(),
            ]
        )
w(
    "tax.csv",
    ["row_id", "first_name", "surname", "birth_date", "sex", "address", "postcode", "updated_on"],
    rows,
)
# household register: keyed by household, person line number; sex coded Ч/Ж
w(
    "households.csv",
    ["household_id", "person_no", "first_name", "last_name", "dob", "sex", "address", "postcode"],
    [
        [
            p["hh"],
            p["line"],
            p["fn"],
            p["ln"],
            p["dob"].strftime("%d.%m.%Y"),
            "Ч" if p["sex"] == "M" else "Ж",
            p["addr"],
            p["pc"],
        ]
        for p in persons[30:250]
    ],
)
# pension register: no dates of birth
w(
    "pensions.csv",
    ["pension_no", "first_name", "last_name", "sex", "address", "postcode"],
    [
        [f"P{i:04d}", p["fn"], p["ln"], p["sex"], p["addr"], p["pc"]]
        for i, p in enumerate(persons[100:280])
    ],
)
# survey with free text
birth = [
    "Lviv",
    "Львів",
    "Kyiv, Ukraine",
    "Київ",
    "Киев",
    "м. Броди, Львівська обл.",
    "Polska",
    "Kraków",
    "Deutschland",
    "Berlin",
    "UKR",
    "804",
    "Ukriane",
    "не знаю",
    "",
    "don't know",
    "Україна",
    "Росія",
    "Moldova",
    "Білорусь",
    "Warszawa, Polska",
    "Poltava",
    "СРСР",
    "?",
]
cit = [
    "Україна",
    "Ukraine",
    "UKR",
    "ukrainian",
    "Polska",
    "Польща",
    "Deutschland",
    "Німеччина",
    "РФ",
    "Russia",
    "",
    "не знаю",
    "без громадянства",
    "Україна ",
    "Ukriane",
    "804",
]
lang = [
    "українська",
    "українська мова",
    "русский",
    "ukrainian",
    "Polski",
    "Deutsch",
    "англійська",
    "суржик",
    "",
    "не знаю",
    "uk",
    "рос.",
    "польська",
    "idk",
]
occ = [
    "вчитель",
    "teacher",
    "водій",
    "driver",
    "лікар",
    "Lehrer",
    "nauczyciel",
    "programista",
    "бухгалтер",
    "пенсіонер",
    "студент",
    "менеджер",
    "продавець",
    "",
    "не працюю",
    "прибиральниця",
    "інженер-програміст",
    "tractorist",
    "2341",
    "???",
]
act = [
    "школа",
    "school",
    "таксі",
    "лікарня",
    "Schule",
    "IT",
    "ТОВ",
    "приватна фірма",
    "магазин",
    "",
    "сільське господарство",
    "банк",
    "EPAM",
    "85",
]
rows = []
for i, p in enumerate(persons[::1][:260]):
    rows.append(
        [
            f"S{i:04d}",
            p["fn"],
            p["ln"],
            p["dob"].strftime("%d.%m.%Y"),
            p["sex"],
            rng.choice(birth),
            rng.choice(cit),
            rng.choice(lang),
            "учень" if (2021 - p["dob"].year) < 16 and rng.random() < 0.5 else rng.choice(occ),
            rng.choice(act),
        ]
    )
w(
    "survey.csv",
    [
        "resp_id",
        "first_name",
        "last_name",
        "dob",
        "sex",
        "place_of_birth",
        "citizenship",
        "mother_tongue",
        "job_title",
        "employer_activity",
    ],
    rows,
)
print(len(persons), "persons")
