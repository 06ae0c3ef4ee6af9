"""Ukrainian, Slovene and other European name pools, most frequent first.

Ukrainian names are stored in Cyrillic; `Name:Var1,Var2` lists romanisations seen in
older passports or made through Russian, on top of the rule-based ones in `translit`.
`M|F` in a surname pool gives the male and female forms (Ковальський|Ковальська).
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

UKR_SURNAMES = """
Шевченко Коваленко Бондаренко Ткаченко Кравченко Бойко Ковальчук Олійник Мельник Шевчук
Поліщук Ткачук Савченко Руденко Лисенко Марченко Мороз Петренко Клименко Павленко Кравчук
Кузьменко Гончаренко Левченко Харченко Зінченко Литвиненко Романенко Мельничук Гриценко
Карпенко Захарченко Іваненко Федоренко Тимошенко Ковальський|Ковальська
Вишневський|Вишневська Заболотний|Заболотна Пономаренко Чорний|Чорна Сидоренко Гнатюк
Яковенко Приходько Дорошенко Козак Лук’яненко Островський|Островська Білоус Демченко
Стасюк Юрченко Головко Савчук
""".split()

SLO_MALE = """
Luka Matej Jan Žiga Nejc Jure Rok Anže Gašper Miha Tomaž Andrej Marko Aleš Primož Matjaž
Boštjan Jožef Franc Janez Aljaž Blaž Uroš Domen Nik Tilen Žan Urban Klemen Matic
""".split()

SLO_FEMALE = """
Špela Nataša Maja Ana Eva Nina Mojca Petra Urška Mateja Tjaša Tina Katja Nika Anja Lara
Sara Živa Neža Pia Ajda Zala Alenka Barbara Irena Darja Vesna Nuša Manca Tanja
""".split()

SLO_SURNAMES = """
Novak Horvat Kovačič Krajnc Zupančič Potočnik Kovač Mlakar Kos Vidmar Golob Turk Kralj
Zupan Bizjak Hribar Korošec Rozman Kotnik Oblak Petek Žagar Kolar Košir Hočevar Koren
Klemenčič Zajc Knez Medved Zorko Pirc Petrič Jerman Kastelic Hrovat Majcen Žnidaršič
Kavčič Pavlič Lešnik Čeh Vrhovnik Jelenc Šuštar
""".split()

POL_MALE = """
Łukasz Piotr Krzysztof Tomasz Paweł Michał Marcin Jakub Kamil Mateusz Grzegorz Wojciech
Rafał Adam Jan Maciej Przemysław Dawid Bartosz Szymon Sławomir Zbigniew
""".split()

POL_FEMALE = """
Anna Katarzyna Małgorzata Agnieszka Barbara Ewa Magdalena Joanna Aleksandra Monika Zofia
Natalia Justyna Dorota Beata Jolanta Karolina Paulina Agata Weronika Bożena Elżbieta
""".split()

POL_SURNAMES = """
Nowak Kowalski|Kowalska Wiśniewski|Wiśniewska Wójcik Kowalczyk Kamiński|Kamińska
Lewandowski|Lewandowska Zieliński|Zielińska Szymański|Szymańska Woźniak
Dąbrowski|Dąbrowska Kozłowski|Kozłowska Jankowski|Jankowska Mazur Kwiatkowski|Kwiatkowska
Krawczyk Piotrowski|Piotrowska Grabowski|Grabowska Nowakowski|Nowakowska
Pawłowski|Pawłowska Michalski|Michalska Król Wieczorek Jabłoński|Jabłońska Wróbel
Nowicki|Nowicka Majewski|Majewska Olszewski|Olszewska Stępień Jaworski|Jaworska
""".split()

ROM_MALE = """
Ștefan Andrei Mihai Alexandru Ion Gheorghe Constantin Florin Cristian Marius Bogdan Răzvan
Ionuț Vasile Adrian Sorin Cătălin Dragoș
""".split()

ROM_FEMALE = """
Maria Elena Ioana Andreea Alexandra Mihaela Cristina Gabriela Daniela Ana Roxana Simona
Larisa Oana Raluca Mădălina Ștefania Irina
""".split()

ROM_SURNAMES = """
Popescu Ionescu Popa Pop Radu Dumitru Stoica Stan Gheorghe Rusu Munteanu Matei Constantin
Șerban Moldovan Ciobanu Lungu Mocanu Dinu Tănase Nistor Florea Bălan Ursu Ștefănescu
Niculescu Mihăilă Toma Diaconu Bălănescu
""".split()

POR_MALE = """
João José António Francisco Pedro Rui Luís Tiago Gonçalo Diogo Miguel Nuno Ricardo Paulo
Bruno Sérgio Fábio Hélder
""".split()

POR_FEMALE = """
Maria Ana Inês Beatriz Mariana Joana Sofia Catarina Leonor Carolina Rita Sara Marta
Filipa Conceição Fátima Mónica Patrícia
""".split()

POR_SURNAMES = """
Silva Santos Ferreira Pereira Oliveira Costa Rodrigues Martins Jesus Sousa Fernandes
Gonçalves Gomes Lopes Marques Alves Almeida Ribeiro Pinto Carvalho Teixeira Moreira
Correia Mendes Nunes Soares Vieira Monteiro Cardoso Rocha
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
