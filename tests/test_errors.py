"""The error hierarchy and the input checks every area relies on."""

import numpy as np
import pandas as pd
import pytest

from oncostat._validate import numeric_column, require_columns
from oncostat.errors import DegenerateDataWarning, InputError, OncostatError, OncostatWarning


def test_hierarchy():
    assert issubclass(InputError, OncostatError)
    assert issubclass(InputError, ValueError)
    assert issubclass(DegenerateDataWarning, OncostatWarning)


def test_numeric_column_names_column_row_and_label():
    df = pd.DataFrame({"study": ["A", "B", "C"], "n": [10, -3, 5]})
    with pytest.raises(InputError, match=r"column 'n', row 2 \(study 'B'\): expected a whole "
                                         r"number >= 0, got -3"):
        numeric_column(df, "n", labels=df["study"].to_numpy(), integer=True, minimum=0)


def test_numeric_column_rejects_text_and_empty_cells():
    df = pd.DataFrame({"x": ["1.5", "abc", None]})
    with pytest.raises(InputError, match=r"column 'x', row 2: expected a number, got 'abc'"):
        numeric_column(df, "x")
    out = numeric_column(df.iloc[[0, 2]], "x", allow_missing=True)
    assert out[0] == 1.5 and np.isnan(out[1])


def test_require_columns_lists_what_exists():
    with pytest.raises(InputError, match=r"column 'b' not found; the table has 'a'"):
        require_columns(pd.DataFrame({"a": [1]}), ["a", "b"])
