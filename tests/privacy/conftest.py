from __future__ import annotations

import random

import polars as pl
import pytest

SECRET = b"test-secret-0123456789abcdef"


def people(n: int = 600, seed: int = 1) -> pl.DataFrame:
    """A small people table with identifiers, quasi-identifiers, a sensitive column and notes."""
    rng = random.Random(seed)
    iins = ["900315301237", "851221400572", "780712400909"]
    return pl.DataFrame(
        {
            "ИИН": [rng.choice(iins) for _ in range(n)],
            "ФИО": [
                rng.choice(["Жұмабаев Нұрлан", "Иванова Мария Петровна", "Aigerim Jumabaeva"])
                for _ in range(n)
            ],
            "Телефон": [
                f"+7 701 {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
                for _ in range(n)
            ],
            "Пол": [rng.choice("МЖ") for _ in range(n)],
            "Дата рождения": [
                f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(1950, 2005)}"
                for _ in range(n)
            ],
            "КАТО": [rng.choice(["751110000", "751210000", "711110000", "591010000"]) for _ in range(n)],
            "Диагноз": [rng.choice(["J45", "I10", "E11", "K29"]) for _ in range(n)],
            "Комментарий": [
                rng.choice(
                    [
                        "Позвонить +7 701 123 45 67 насчёт заявки",
                        "Клиент Петров просил перезвонить",
                        "без замечаний",
                    ]
                )
                for _ in range(n)
            ],
        }
    )


@pytest.fixture
def people_table() -> pl.DataFrame:
    return people()
