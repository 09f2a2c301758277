"""Fixtures shared by the figure tests."""

from collections.abc import Iterator

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from tests.conftest import REFERENCE


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture
def bcg() -> pd.DataFrame:
    """Colditz et al. (JAMA 1994) BCG trials, metafor's ``dat.bcg``, with ``alloc``."""
    return pd.read_csv(REFERENCE / "meta" / "data" / "bcg.csv")
