"""Exceptions and warnings raised by oncostat.

The hierarchy::

    OncostatError
      + InputError (also a ValueError)   bad data or arguments: names column, row, expectation
      + ConvergenceError                 an iterative fit stopped; says what to try
    OncostatWarning (a UserWarning)
      + DegenerateDataWarning            legal input with a defined, special result

Rows in messages are counted from 1 over the data rows of the table the user passed
(the header is not a row), so "row 3" is the third study or patient in the file.
"""

from __future__ import annotations

__all__ = [
    "ConvergenceError",
    "DegenerateDataWarning",
    "InputError",
    "OncostatError",
    "OncostatWarning",
]


class OncostatError(Exception):
    """Base class of every error oncostat raises on purpose."""


class InputError(OncostatError, ValueError):
    """Bad data or arguments; the message names the column, the row and what was expected."""


class ConvergenceError(OncostatError):
    """An iterative fit did not converge; the message says what to try."""


class OncostatWarning(UserWarning):
    """Base class of oncostat's warnings."""


class DegenerateDataWarning(OncostatWarning):
    """Legal but degenerate input (zero cells, no events, median not reached, ...).

    The result is still defined; the warning says what was done.
    """
