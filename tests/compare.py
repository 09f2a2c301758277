"""Comparison helpers shared by the tests that read R reference fixtures."""

from __future__ import annotations

import numpy as np

from tests.tolerances import RTOL

# Quantities whose reference value is 0 up to rounding (e.g. a Q of homogeneous studies)
# cannot be compared relatively; 1e-12 absolute is far below any printed digit.
ATOL = 1e-12


def as_float(x) -> np.ndarray:
    """JSON null (R NA) becomes NaN."""
    if isinstance(x, list):
        return np.array([np.nan if v is None else v for v in x], dtype=float)
    return np.asarray(np.nan if x is None else x, dtype=float)


def check(actual, expected, what: str) -> None:
    """assert_allclose at RTOL; a reference that is exactly 0 must be exactly 0 in oncostat."""
    expected = as_float(expected)
    if expected.ndim == 0 and expected == 0.0:
        assert actual == 0.0, f"{what}: expected exactly 0, got {actual!r}"
    else:
        np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL, err_msg=what)


class Checks:
    """Run several ``check`` calls and report every mismatch, not only the first."""

    def __init__(self, reference: str = "R") -> None:
        self.reference = reference
        self.failures: list[str] = []

    def __call__(self, actual, expected, what: str) -> None:
        try:
            check(actual, expected, what)
        except AssertionError as exc:
            self.failures.append(f"{what}: oncostat {actual!r}, {self.reference} "
                                 f"{expected!r}\n{exc}")

    def done(self) -> None:
        assert not self.failures, "\n\n".join(self.failures)
