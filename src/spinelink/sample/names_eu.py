"""Ukrainian forenames (curated, most frequent first) and patronymics.

The package `build_names` draws from has no Ukrainian list, so forenames stay this list;
surnames come from `data/ukrainian.surnames.csv`. Names are stored in Cyrillic;
`Name:Var1,Var2` lists romanisations seen in older passports or made through Russian, on
top of the rule-based ones in `translit`.
"""
from __future__ import annotations

UKR_MALE = """
Олександр:Aleksandr,Alexandr,Alexander,Oleksander Андрій:Andrey,Andrij Сергій:Sergey,Sergii
Дмитро:Dmitriy,Dmitry,Dmitro Микола:Nikolay,Nikolai,Mikola Іван
Володимир:Vladimir,Volodimir,Wolodymyr Юрій:Yuri,Iurii,Jurij Олег:Oleg Віктор:Victor
Петро:Petr,Pyotr Василь:Vasiliy,Vasily,Vasil Михайло:Mikhail,Mykhaylo,Mihail Богдан:Bogdan
Тарас Максим:Maksim,Maxim Артем:Artyom,Artiom Денис:Denis Ігор:Igor
Євген:Evgeniy,Yevgeniy,Ievgen Віталій:Vitaliy,Vitaly Анатолій:Anatoliy,Anatoly
Григорій:Grigory,Hryhoriy Роман Павло:Pavel Олексій:Aleksey,Alexey,Olexiy
Ярослав:Iaroslav,Jaroslav Степан Данило:Danilo,Daniil Назар
""".split()

UKR_FEMALE = """
Олена:Elena,Alena Наталія:Natalia,Natalya Ірина:Irina Тетяна:Tatiana,Tatyana Оксана:Oxana
Юлія:Yulia,Iuliia,Julia Ольга:Olga Світлана:Svetlana Людмила:Lyudmila,Ludmila Марія:Maria
Анна Катерина:Ekaterina,Katerina,Yekaterina Галина:Galina,Galyna Валентина:Valentina
Вікторія:Viktoria,Victoria Надія:Nadezhda,Nadia Любов:Lyubov,Lubov Лариса:Larisa
Софія:Sofia,Sophia Анастасія:Anastasia Дарина:Darina Христина:Khristina,Kristina
Ганна:Ganna Віра:Vera Яна:Iana Зоряна:Zorjana Соломія:Solomia Інна Євгенія:Evgeniya
Алла
""".split()


def ukrainian_patronymics(name: str) -> tuple[str, str]:
    """Male and female patronymic formed from a father's Cyrillic forename."""
    if name == "Микола":
        return "Миколайович", "Миколаївна"
    if name.endswith("ій"):
        stem = name[:-1]
        return stem + "йович", stem + "ївна"
    if name.endswith("о"):
        stem = name[:-1]
        return stem + "ович", stem + "івна"
    if name.endswith("ь"):
        stem = name[:-1]
        return stem + "ьович", stem + "івна"
    return name + "ович", name + "івна"
