"""k and l agree with pycanon (the reference implementation) on the same data."""

from __future__ import annotations

import random

import polars as pl
import pytest

from qazai.core.enums import AccessTier
from qazai.privacy import assess, default_policy, deidentify

from .conftest import SECRET, people

anonymity = pytest.importorskip("pycanon.anonymity")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_k_and_l_agree_with_pycanon_on_random_tables(seed: int) -> None:
    rng = random.Random(seed)
    n = 400
    frame = pl.DataFrame(
        {
            "age": [str(rng.randint(20, 30)) for _ in range(n)],
            "sex": [rng.choice("МЖ") for _ in range(n)],
            "region": [rng.choice(["75", "71", "59"]) for _ in range(n)],
            "diagnosis": [rng.choice(["J45", "I10", "E11"]) for _ in range(n)],
        }
    )
    qi = ["age", "sex", "region"]
    ours = assess(frame, qi, ["diagnosis"], rescan=False)
    df = frame.to_pandas()
    assert ours.k == anonymity.k_anonymity(df, qi)
    assert ours.l_diversity["diagnosis"] == anonymity.l_diversity(df, qi, ["diagnosis"])


def test_k_and_l_of_a_deidentified_output_agree_with_pycanon() -> None:
    out, a = deidentify(people(800, seed=9), default_policy(AccessTier.open), SECRET, "s")
    df = out.to_pandas()
    assert a.k == anonymity.k_anonymity(df, a.quasi_identifiers)
    assert a.l_diversity["Диагноз"] == anonymity.l_diversity(df, a.quasi_identifiers, ["Диагноз"])
