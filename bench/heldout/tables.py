# ruff: noqa: E501
"""The held-out tables: personal registers (kk/ru/en headers, a neutral header) and aggregate
statistics that must be kept whole. Each table is (file name, header, rows, expected column kinds)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import names as N

if TYPE_CHECKING:
    from generate import Gen

Table = tuple[str, list[str], list[list[str]], list[str]]


def _spaced(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def _stat(g: Gen, lo: int, hi: int) -> str:
    r = g.r
    roll = r.random()
    if roll < 0.06:
        return "-"
    if roll < 0.10:
        return "х"
    if roll < 0.13:
        return "..."
    return _spaced(r.randint(lo, hi))


def _free_kk(g: Gen) -> str:
    r = g.r
    return r.choice([
        f"{g.address('kk')} үйде жарық жоқ, {g.person('kk')} хабарласты",
        f"Өтініш беруші {g.person('kk')}, тел. {g.phone()}",
        f"{g.person('kk')} жәрдемақы сұрайды, мекенжайы {g.address('kk')}",
        f"қоңырау шалыңыз {g.phone()}, {g.person('kk')}",
    ])  # fmt: skip


def _free_ru(g: Gen) -> str:
    r = g.r
    return r.choice([
        f"Прошу перезвонить по номеру {g.phone()}, {g.person('ru')}",
        f"Во дворе дома по адресу {g.address('ru')} не вывозят мусор",
        f"{g.person('ru')} просит справку о составе семьи, {g.address('ru')}",
        f"Заявитель {g.person('ru')} не согласен с ответом, e-mail {g.email()}",
    ])  # fmt: skip


def build(g: Gen) -> list[Table]:
    r = g.r
    out: list[Table] = []

    rows = [[g.person("kk"), g.iin(), g.address("kk"), g.phone(False), r.choice(["", "мүгедек", "зейнеткер", "көп балалы"])]
            for _ in range(20)]  # fmt: skip
    out.append(("residents_kk.csv", ["Тегі, аты, әкесінің аты", "ЖСН", "Тұрғылықты мекенжайы", "Ұялы телефоны", "Санаты"],
                rows, ["person_name", "iin", "address", "phone", "keep"]))  # fmt: skip

    rows = [[str(i + 1), g.person("ru"), g.address("ru"), "8" + r.choice(N.MOBILE_CODES) + f"{r.randint(0, 9999999):07d}",
             f"{r.randint(1, 28):02d}.{r.randint(1, 12):02d}.2024", _free_ru(g)] for i in range(20)]  # fmt: skip
    out.append(("appeals_ru.csv", ["№ п/п", "ФИО заявителя", "Адрес проживания", "Телефон", "Дата обращения", "Суть обращения"],
                rows, ["keep", "person_name", "address", "phone", "keep", "free_text"]))  # fmt: skip

    rows = [[f"C{r.randint(10000, 99999)}", g.lat_person(), g.en_address(), g.email(), g.phone(),
             r.choice(["retail", "premium", "SME"])] for _ in range(20)]  # fmt: skip
    out.append(("clients_en.csv", ["id", "Full name", "Home address", "Email", "Phone", "Segment"],
                rows, ["keep", "person_name", "address", "email", "phone", "keep"]))  # fmt: skip

    rows = [[str(r.randint(1000, 9999)), g.person("ru"), g.address(r.choice(["kk", "ru"])), g.phone(False),
             _spaced(r.randint(5000, 900000))] for _ in range(20)]  # fmt: skip
    out.append(("neutral_headers.csv", ["col1", "col2", "col3", "col4", "col5"],
                rows, ["keep", "person_name", "address", "phone", "keep"]))  # fmt: skip

    rows = [[str(r.randint(100000, 999999)), g.address("kk"), _spaced(r.randint(1500, 95000)),
             r.choice(["жеткізілді", "жолда", "қайтарылды"])] for _ in range(20)]  # fmt: skip
    out.append(("delivery_kk.csv", ["Тапсырыс №", "Мекенжай", "Сомасы, тг", "Мәртебесі"],
                rows, ["keep", "address", "keep", "keep"]))  # fmt: skip

    rows = [["А", "1", "2", "3", "4", "5"]]
    rows += [[reg, *[_stat(g, 1000, 2_500_000) for _ in range(4)], f"{r.randint(90, 115)},{r.randint(0, 9)}"]
             for reg in N.REGIONS_RU]  # fmt: skip
    rows.append(
        ["Республика Казахстан", *[_spaced(r.randint(19_000_000, 20_500_000)) for _ in range(4)], "101,2"]
    )
    out.append(("population_region_year.csv", ["Регион", "2019", "2020", "2021", "2022", "2022 в % к 2021"],
                [row[:1] + row[1:] for row in rows], ["keep"] * 6))  # fmt: skip

    rows = [["А", "Б", "1", "2"]]
    rows += [[occ, f"{r.randint(1, 9)}{r.randint(0, 9)}", _spaced(r.randint(20_000, 900_000)), _spaced(r.randint(150_000, 900_000))]
             for occ in N.OCCUPATIONS_RU]  # fmt: skip
    out.append(("salary_by_occupation.csv", ["Группы занятий", "Код", "Численность, человек", "Средняя зарплата, тенге"],
                rows, ["keep"] * 4))  # fmt: skip

    rows = [
        [crime, *[_stat(g, 10, 160_000) for _ in range(3)], f"{r.randint(-30, 30)},{r.randint(0, 9)}"]
        for crime in N.CRIME_RU
    ]
    out.append(("crimes_by_category.csv",
                ["Категория / статья уголовного кодекса Республики Казахстан", "2021", "2022", "2023", "Изменение, %"],
                rows, ["keep"] * 5))  # fmt: skip

    programs = ["Обеспечение деятельности акима области", "Строительство и реконструкция объектов образования",
                "Капитальный ремонт автомобильных дорог областного значения", "Субсидирование пассажирских перевозок",
                "Развитие системы водоснабжения и водоотведения в сельских населенных пунктах",
                "Проведение мероприятий по борьбе с наркоманией", "Социальная помощь отдельным категориям граждан",
                "Обеспечение санитарии населенных пунктов"]  # fmt: skip
    rows = [
        [p, f"{r.randint(100, 999)}", str(r.randint(10**9, 10**12 - 1)), str(r.choice([2022, 2023, 2024]))]
        for p in programs
    ]
    rows += [
        [p + " (уточненный)", f"{r.randint(100, 999)}", str(r.randint(10**9, 10**12 - 1)), "2024"]
        for p in programs[:6]
    ]
    out.append(("budget_programs.csv", ["Наименование бюджетной программы", "Код БП", "Сумма, тенге", "Год"],
                rows, ["keep"] * 4))  # fmt: skip

    places = ["Абай ауданы", "Жамбыл ауданы", "Қонаев қаласы", "Қосшы ауылы", "Талғар қаласы", "Төле би ауданы",
              "Байзақ ауданы", "Сарыағаш қаласы", "Есік қаласы", "Қаскелең қаласы", "Ақсу ауылы", "Шардара қаласы",
              "Мақтаарал ауданы", "Алмалы ауылы"]  # fmt: skip
    rows = [
        [p, _spaced(r.randint(3000, 290_000)), _spaced(r.randint(500, 60000)), str(r.randint(1, 40))]
        for p in places
    ]
    out.append(("settlements_kk.csv", ["Елді мекен", "Халық саны", "Тұрғын үй саны", "Мектептер саны"],
                rows, ["keep"] * 4))  # fmt: skip

    rows = [[f"{g.person('ru').split()[0]} {r.choice('АБДЕЖКМНСТ')}.{r.choice('АБДЕЖКМНСТ')}.",
             f"г. {r.choice(N.CITIES_RU)}, ул. {r.choice(N.STREETS_PERSON)[1]}, {r.randint(1, 200)}, кв. {r.randint(1, 150)}",
             r.choice([f"8 (727) {r.randint(200, 399)}", f"8 (7172) {r.randint(20, 79)}", f"8 (7252) {r.randint(20, 59)}"])
             + f"-{r.randint(10, 99)}-{r.randint(10, 99)}",
             r.choice(["терапия", "хирургия", "кардиология", "неврология"])] for _ in range(18)]  # fmt: skip
    out.append(("patients_ru.csv", ["Пациент", "Адрес", "Домашний телефон", "Отделение"],
                rows, ["person_name", "address", "phone", "keep"]))  # fmt: skip

    rows = [[g.person("kk"), f"+7 ({r.choice(N.MOBILE_CODES)}) {r.randint(100, 999)}-{r.randint(10, 99)}-{r.randint(10, 99)}",
             g.email(), f"{r.choice(N.AVENUES)} даңғ. {r.randint(1, 300)}", r.choice(N.REGIONS_KK)] for _ in range(20)]  # fmt: skip
    out.append(("contacts_kk.csv", ["Аты-жөні", "Байланыс телефоны", "Электрондық пошта", "Мекенжайы", "Облыс"],
                rows, ["person_name", "phone", "email", "address", "keep"]))  # fmt: skip

    rows = [[str(i + 1), g.person("ru"), g.address("ru"), str(r.choice([2021, 2022, 2023])), r.choice(["ясли", "младшая", "средняя"])]
            for i in range(20)]  # fmt: skip
    out.append(("kindergarten_queue.csv", ["Номер в очереди", "ФИО ребенка", "Address", "Год постановки", "Группа"],
                rows, ["keep", "person_name", "address", "keep", "keep"]))  # fmt: skip

    rows = [[_free_kk(g), f"{r.randint(1, 28):02d}.{r.randint(1, 12):02d}.2024", r.choice(["ТКШ", "жол", "әлеуметтік көмек", "экология"])]
            for _ in range(20)]  # fmt: skip
    out.append(
        ("complaints_kk.csv", ["Өтініш мәтіні", "Күні", "Санаты"], rows, ["free_text", "keep", "keep"])
    )

    indicators = ["Жалпы ішкі өнім, млн теңге", "Өнеркәсіп өнімінің көлемі, млн теңге", "Жұмыссыздық деңгейі, %",
                  "Орташа айлық атаулы жалақы, теңге", "Тұтыну бағаларының индексі, %", "Халық саны, адам",
                  "Пайдалануға берілген тұрғын үй, мың шаршы метр", "Негізгі капиталға инвестициялар, млн теңге",
                  "Тіркелген шағын және орта бизнес субъектілері, бірлік", "Ауыл шаруашылығы өнімінің көлемі, млн теңге"]  # fmt: skip
    rows = [[ind, ind.rsplit(", ", 1)[1], *[_stat(g, 1, 99_000_000) for _ in range(3)]] for ind in indicators]
    out.append(
        (
            "indicators_kk.csv",
            ["Көрсеткіш атауы", "Өлшем бірлігі", "2021", "2022", "2023"],
            rows,
            ["keep"] * 5,
        )
    )

    rows = [[f"Абай көшесі, {r.randint(1, 200)} үй", g.person("kk"), g.phone()] for _ in range(6)]
    rows += [
        [g.address(r.choice(["kk", "ru", "en"])), g.person(r.choice(["kk", "ru"])), g.phone()]
        for _ in range(14)
    ]
    out.append(("home_visits.csv", ["Home address", "Responsible", "Contact"],
                rows, ["address", "person_name", "phone"]))  # fmt: skip
    for name, header, body, kinds in out:
        assert len(header) == len(kinds), name
        assert all(len(row) == len(header) for row in body), name
    return out
