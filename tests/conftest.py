"""Shared test fixtures: headless plotting and access to the R reference fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib
import pytest

matplotlib.use("Agg")

REFERENCE = Path(__file__).parent / "reference"
ARTIFACTS = Path(__file__).parent / "_artifacts"
SHARED = Path(__file__).resolve().parents[2] / "shared"


def load_reference(relpath: str) -> Any:
    """Parse ``tests/reference/<relpath>`` (a JSON fixture written by the R script beside it)."""
    with open(REFERENCE / relpath, encoding="utf-8") as fh:
        return json.load(fh)


@pytest.fixture
def artifacts() -> Path:
    """Folder for PNGs that tests write so a person can look at them."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
