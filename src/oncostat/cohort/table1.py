"""Table 1: baseline characteristics by arm, with tests and standardised mean differences.

:func:`table1` summarises each variable by arm (continuous as mean (SD) or median (IQR),
categorical as n (%), missing counts), tests the difference between arms with the test
chosen per variable or automatically, and adds the standardised mean difference (SMD).
:func:`side_by_side` puts the tables before and after matching next to each other.

Choices and their sources
-------------------------
* Kind of variable: text, ``bool`` and pandas categories are categorical, and so are numeric
  columns with fewer than 10 distinct values (gtsummary's rule: ECOG 0/1/2 or a number of
  lesions 1/2/3 are reported as n (%), as in the seed study's Tables 1 and 2) provided they
  also have fewer distinct values than half the patients with a value, so that in a small
  cohort (the seed's 8 HIFU patients) age stays continuous; name a column in
  ``continuous``, ``nonnormal`` or ``categorical`` to override.
* Summary: mean (SD) unless the variable is listed in ``nonnormal`` (median (IQR)), or
  ``nonnormal="auto"``: median (IQR) when the Shapiro-Wilk test rejects normality
  (p < 0.05) in any arm with at least 3 values. Quartiles use numpy's ``"linear"`` method,
  R's default ``quantile(type = 7)``; ``quantile_method="weibull"`` gives SPSS's
  (``type = 6``).
* Percentages are of the patients with a known value; a "Missing" row counts the others.
* Automatic tests (``tests="auto"``): continuous mean (SD) variables get Student's t-test
  (two arms) or one-way ANOVA (three or more), as SPSS's independent-samples t-test and
  tableone do; median (IQR) variables the Wilcoxon rank-sum or Kruskal-Wallis test;
  categorical variables Pearson's chi-squared test without continuity correction (as SPSS
  reports it), or Fisher's exact test (Freeman-Halton for r x c [3]_) when an expected count
  is below 5. Every p-value carries a footnote letter naming its test. The rank and exact
  tests reproduce R's defaults; see :mod:`oncostat.cohort.tests`.
* SMD: for continuous variables ``|m_a - m_b| / sqrt((s_a^2 + s_b^2) / 2)`` [1]_; for
  categorical variables the multinomial SMD of Yang and Dalton [2]_ (for two levels
  ``|p_a - p_b| / sqrt((p_a q_a + p_b q_b) / 2)``), as tableone computes them; with three or
  more arms the largest pairwise SMD is shown.

The seed study (Table 1, "Chemotherapy before surgery", No/Yes 6/2, 16/0, 15/1) prints
p = 0.09: that is Pearson's chi-squared test without continuity correction (p = 0.0878,
SPSS's default row), although two expected counts are below 5; the Fisher-Freeman-Halton
test gives p = 0.0964, printed 0.10. ``tests={"chemo": "chisq"}`` reproduces the paper;
``tests="auto"`` chooses Fisher's exact test.

References
----------
.. [1] Austin PC. Balance diagnostics for comparing the distribution of baseline covariates
       between treatment groups in propensity-score matched samples. Stat Med.
       2009;28:3083-3107.
.. [2] Yang D, Dalton JE. A unified approach to measuring the effect size between two groups
       using SAS. SAS Global Forum 2012, paper 335-2012.
.. [3] Freeman GH, Halton JH. Note on an exact treatment of contingency, goodness of fit and
       other problems of significance. Biometrika. 1951;38:141-149.
.. [4] Yates F. Contingency tables involving small numbers and the chi-square test.
       Suppl J R Stat Soc. 1934;1:217-235.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from oncostat._results import jsonable
from oncostat._validate import as_frame, require_columns, row_ref
from oncostat.cohort import tests as T
from oncostat.errors import DegenerateDataWarning, InputError

if TYPE_CHECKING:
    from oncostat.report.export import PublicationTable

__all__ = ["Table1Comparison", "Table1Result", "side_by_side", "table1"]

TestName = Literal["auto", "t", "welch", "anova", "wilcoxon", "kruskal", "chisq",
                   "chisq-yates", "fisher"]
_CONTINUOUS_TESTS = ("t", "welch", "anova", "wilcoxon", "kruskal")
_CATEGORICAL_TESTS = ("chisq", "chisq-yates", "fisher")
_MIN_CONTINUOUS_LEVELS = 10
_MARKERS = "abcdefghij"
_DASH = "\u2013"


@dataclass(frozen=True, slots=True)
class _Variable:
    name: str
    label: str
    kind: Literal["continuous", "categorical"]
    nonnormal: bool
    test: str | None


class _Exports:
    """File and HTML output shared by the tables (built from ``publication_table()``)."""

    __slots__ = ()

    def publication_table(self) -> Any:  # pragma: no cover - defined by the tables
        raise NotImplementedError

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - defined by the tables
        raise NotImplementedError

    def to_docx(self, path: str | Path) -> Path:
        """Write a Word document with the table (three rules, footnote letters)."""
        from oncostat.report.export import write_docx

        return write_docx(self.publication_table(), path)

    def to_xlsx(self, path: str | Path) -> Path:
        """Write an Excel sheet: title, :meth:`to_frame` and the footnotes."""
        from oncostat.report.export import write_xlsx

        return write_xlsx(self.publication_table(), path)

    def to_csv(self, path: str | Path) -> Path:
        """Write :meth:`to_frame` as CSV."""
        from oncostat.report.export import write_csv

        return write_csv(self.to_frame(), path)

    def to_html(self) -> str:
        """HTML table with caption, superscript test markers and footnotes (for reports)."""
        from oncostat.report.export import table_html

        return table_html(self.publication_table())

    def _repr_html_(self) -> str:
        return self.to_html()


@dataclass(frozen=True, slots=True)
class Table1Result(_Exports):
    """Result of :func:`table1`; see its docstring.

    ``rows`` holds the numbers at full precision, one row per line of the printed table:
    ``variable``, ``label``, ``level`` (``None`` on a variable's first line), ``kind``
    (``"continuous"``, ``"categorical"``, ``"level"`` or ``"missing"``), then for each arm
    ``{arm}:n`` (patients with a value, or in the level), ``{arm}:percent``, ``{arm}:mean``,
    ``{arm}:sd``, ``{arm}:median``, ``{arm}:q1``, ``{arm}:q3``, and ``test``, ``statistic``,
    ``df``, ``df2``, ``pvalue``, ``smd`` on the variable's first line.
    """

    group: str
    arms: tuple[Any, ...]
    n: tuple[int, ...]
    rows: pd.DataFrame = field(repr=False)
    cells: tuple[tuple[str, ...], ...] = field(repr=False)
    digits: int = 1
    p_digits: int = 3
    p_threshold: float | None = None
    smd: bool = True
    show_tests: bool = True
    title: str = "Table 1. Baseline characteristics"

    @property
    def columns(self) -> tuple[str, ...]:
        """Printed column headings."""
        cols = ["Characteristic", *(f"{a} (N = {n})" for a, n in zip(self.arms, self.n,
                                                                      strict=True))]
        if self.show_tests:
            cols.append("p value")
        if self.smd:
            cols.append("SMD")
        return tuple(cols)

    def _tests_used(self) -> list[str]:
        return list(dict.fromkeys(t for t in self.rows["test"] if isinstance(t, str)))

    def footnotes(self, order: Sequence[str] | None = None) -> tuple[str, ...]:
        """Notes printed under the table: summaries, tests (by marker) and the SMD.

        ``order`` lists the tests in marker order (``a``, ``b``, ...); by default as they
        first appear in the table.
        """
        order = list(order) if order is not None else self._tests_used()
        kinds = set(self.rows["kind"])
        shown = []
        if {"level"} & kinds:
            shown.append("n (%)")
        cont = self.rows[self.rows["kind"] == "continuous"]
        if (~cont["nonnormal"].astype(bool)).any():
            shown.append("mean (SD)")
        if cont["nonnormal"].astype(bool).any():
            shown.append("median (IQR)")
        notes = []
        if shown:
            notes.append("Values are " + _join_or(shown) + "; percentages of patients with a "
                         "known value.")
        if self.show_tests:
            notes.extend(f"{_MARKERS[order.index(t)]} {T.TEST_NAMES[t]}"
                         for t in self._tests_used())
        if self.smd:
            many = len(self.arms) > 2
            notes.append("SMD, absolute standardised mean difference"
                         + (" (largest of the pairwise SMDs)" if many else "") + ".")
        return tuple(notes)

    def _layout(self, order: Sequence[str] | None = None
                ) -> tuple[list[list[str]], list[list[str]], list[int]]:
        order = list(order) if order is not None else self._tests_used()
        cells, marks, indent = [], [], []
        test_col = len(self.arms) + 1
        for r, text in zip(self.rows.itertuples(), self.cells, strict=True):
            row = list(text)
            m = [""] * len(row)
            if self.show_tests and r.kind in ("continuous", "categorical"):
                m[test_col] = _MARKERS[order.index(r.test)] if row[test_col] else ""
            cells.append(row)
            marks.append(m)
            indent.append(0 if r.kind in ("continuous", "categorical") else 1)
        return cells, marks, indent

    def to_frame(self) -> pd.DataFrame:
        """The printed table as text, with a ``Test`` column in place of footnote markers."""
        frame = pd.DataFrame([list(c) for c in self.cells], columns=list(self.columns))
        frame["Characteristic"] = [("  " if r.kind in ("level", "missing") else "") + c
                                   for r, c in zip(self.rows.itertuples(), frame.iloc[:, 0],
                                                   strict=True)]
        if self.show_tests:
            pos = list(frame.columns).index("p value") + 1
            frame.insert(pos, "Test", [T.TEST_NAMES[t] if isinstance(t, str) else ""
                                       for t in self.rows["test"]])
        return frame

    def publication_table(self) -> PublicationTable:
        """The table as :mod:`oncostat.report.export` writes it."""
        from oncostat.report.export import PublicationTable

        cells, marks, indent = self._layout()
        return PublicationTable(self.title, self.columns, tuple(map(tuple, cells)),
                                tuple(map(tuple, marks)), tuple(indent), self.footnotes(),
                                frame=self.to_frame())

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: ``group``, ``arms`` with their N, and ``rows`` as :func:`table1` says."""
        out_rows = []
        for r in self.rows.to_dict(orient="records"):
            by_arm: dict[str, Any] = {}
            for a in self.arms:
                if r["kind"] in ("level", "missing", "categorical"):
                    by_arm[str(a)] = {"n": r[f"{a}:n"], "percent": r[f"{a}:percent"]}
                else:
                    by_arm[str(a)] = {k: r[f"{a}:{k}"]
                                      for k in ("n", "mean", "sd", "median", "q1", "q3")}
            out_rows.append({"variable": r["variable"], "label": r["label"],
                             "level": r["level"], "kind": r["kind"], "arms": by_arm,
                             "test": r["test"], "statistic": r["statistic"], "df": r["df"],
                             "df2": r["df2"], "p": r["pvalue"], "smd": r["smd"]})
        return jsonable({"group": self.group, "arms": [str(a) for a in self.arms],
                         "n": dict(zip(map(str, self.arms), self.n, strict=True)),
                         "rows": out_rows, "footnotes": list(self.footnotes())})

    def __str__(self) -> str:
        cells, marks, indent = self._layout()
        return _text_table(self.title, list(self.columns), _marked(cells, marks, indent),
                           _sup_notes(self.footnotes()))


_SUPERSCRIPTS = str.maketrans("abcdefghij", "ᵃᵇᶜᵈᵉᶠᵍʰⁱʲ")


def _marked(cells: list[list[str]], marks: list[list[str]], indent: list[int]
            ) -> list[list[str]]:
    """Plain-text cells with Unicode superscript markers and indented sub-rows."""
    return [[("  " * indent[i]) + row[0],
             *(c + m.translate(_SUPERSCRIPTS) for c, m in zip(row[1:], marks[i][1:],
                                                              strict=True))]
            for i, row in enumerate(cells)]


def _sup_notes(notes: Sequence[str]) -> list[str]:
    out = []
    for n in notes:
        head, sep, rest = n.partition(" ")
        out.append(head.translate(_SUPERSCRIPTS) + sep + rest
                   if sep and len(head) == 1 and head in _MARKERS else n)
    return out


def _join_or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _text_table(title: str, columns: list[str], rows: list[list[str]],
                notes: Sequence[str], groups: Sequence[tuple[str, int]] = ()) -> str:
    widths = [max(len(columns[j]), *(len(r[j]) for r in rows)) if rows else len(columns[j])
              for j in range(len(columns))]

    def fmt(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if j == 0 else c.rjust(w)
                         for j, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()

    lines = [title]
    if groups:
        parts, j = [], 0
        for label, span in groups:
            w = sum(widths[j:j + span]) + 2 * (span - 1)
            parts.append(label.center(w))
            j += span
        lines.append("  ".join(parts).rstrip())
    head = fmt(columns)
    rule = "-" * max(len(head), *(len(fmt(r)) for r in rows)) if rows else "-" * len(head)
    lines += [rule, head, rule, *(fmt(r) for r in rows), rule, *notes]
    return "\n".join(lines)


def table1(
    data: pd.DataFrame,
    *,
    group: str,
    variables: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    continuous: Sequence[str] | None = None,
    nonnormal: Sequence[str] | Literal["all", "auto"] | None = None,
    tests: TestName | Mapping[str, TestName] | None = "auto",
    smd: bool = True,
    missing: bool = True,
    digits: int | Mapping[str, int] = 1,
    p_digits: int = 3,
    p_threshold: float | None = None,
    labels: Mapping[str, str] | None = None,
    quantile_method: str = "linear",
    title: str = "Table 1. Baseline characteristics",
) -> Table1Result:
    """Baseline characteristics by arm, with tests and SMDs (two or more arms).

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    group : str
        Column holding the arm; arms are ordered as its categories or sorted.
    variables : sequence of str, optional
        Rows of the table, in order; by default every column but ``group``.
    categorical, continuous : sequence of str, optional
        Force a variable's kind; see the module docstring for the default rule.
    nonnormal : sequence of str, "all" or "auto", optional
        Continuous variables to report as median (IQR) and test with rank tests.
    tests : str, mapping or None, default "auto"
        ``"auto"`` chooses per variable (module docstring). A test name applies to every
        variable of its kind, the others staying automatic: ``"t"`` (Student), ``"welch"``
        (Welch's t, or Welch's ANOVA for 3+ arms), ``"anova"``, ``"wilcoxon"``,
        ``"kruskal"``, ``"chisq"`` (no continuity correction, SPSS), ``"chisq-yates"``
        (Yates' correction [4]_ on 2 x 2 tables, R's default), ``"fisher"`` (exact, r x c
        too). A mapping ``{variable: test}`` sets tests per variable. ``None`` drops the
        p-value column.
    smd : bool, default True
        Add the SMD column (largest pairwise with 3+ arms).
    missing : bool, default True
        Add a "Missing" row under each variable with missing values.
    digits : int or mapping, default 1
        Decimals of means, SDs, medians, quartiles and percentages (per variable with a
        mapping; others 1).
    p_digits : int, default 3
        Decimals of p-values; smaller values print as ``<0.001``.
    p_threshold : float, optional
        Print p-values at or above it as ``>0.1`` (``p_threshold=0.1``), as the seed study
        does.
    labels : mapping, optional
        Printed names of variables (default: the column names).
    quantile_method : str, default "linear"
        numpy's quantile method for the IQR (``"linear"`` = R type 7, ``"weibull"`` = SPSS).
    title : str
        Printed above the table.

    Returns
    -------
    Table1Result

    Raises
    ------
    InputError
        Unknown column, ``group`` with fewer than two arms or a missing arm (row named), a
        variable with no values, an unknown test or one that does not fit the variable.

    Warns
    -----
    DegenerateDataWarning
        When a test cannot be computed (an arm without values, no variation) and its p-value
        is left empty.

    Examples
    --------
    The seed study's "Chemotherapy before surgery" (HIFU 2/8, BSC 0/16, PC 1/16 "Yes"):

    >>> d = pd.DataFrame({"arm": ["HIFU"] * 8 + ["BSC"] * 16 + ["PC"] * 16,
    ...                   "chemo": ["No"] * 6 + ["Yes"] * 2 + ["No"] * 16 + ["No"] * 15 + ["Yes"]})
    >>> t = table1(d, group="arm", tests={"chemo": "chisq"})
    >>> round(float(t.rows["pvalue"][0]), 4)
    0.0878
    """
    df = as_frame(data)
    require_columns(df, [group])
    if variables is None:
        variables = [c for c in df.columns if c != group]
    variables = list(variables)
    for name, given in (("categorical", categorical), ("continuous", continuous)):
        require_columns(df, list(given or []), what=name)
    if not isinstance(nonnormal, str):
        require_columns(df, list(nonnormal or []), what="nonnormal")
    require_columns(df, variables)
    if not variables:
        raise InputError("variables: expected at least one column besides the group")
    if p_digits < 1:
        raise InputError(f"p_digits: expected an integer >= 1, got {p_digits}")
    arms, codes = _arms(df, group)
    k = len(arms)
    labels = dict(labels or {})
    specs = [_variable(df, v, labels.get(v, v), categorical, continuous, nonnormal, tests, k,
                       codes, group) for v in variables]
    digit_map = digits if isinstance(digits, Mapping) else {}
    default_digits = 1 if isinstance(digits, Mapping) else int(digits)

    records: list[dict[str, Any]] = []
    texts: list[list[str]] = []
    for spec in specs:
        d = int(digit_map.get(spec.name, default_digits))
        col = df[spec.name]
        if spec.kind == "continuous":
            recs, txt = _continuous(spec, col, codes, arms, d, quantile_method)
        else:
            recs, txt = _categorical(spec, col, codes, arms, d)
        head = recs[0]
        if spec.test is not None:
            res = _run_test(spec, col, codes, k)
            head.update(test=res.test, statistic=res.statistic, df=res.df, df2=res.df2,
                        pvalue=res.pvalue)
        if smd:
            head["smd"] = _smd(spec, col, codes, k)
        if missing:
            miss = col.isna().to_numpy()
            if miss.any():
                rec = _base(spec, None, "missing")
                for i, a in enumerate(arms):
                    rec[f"{a}:n"] = int((miss & (codes == i)).sum())
                recs.append(rec)
                txt.append(["Missing", *(str(rec[f"{a}:n"]) for a in arms)])
        records.extend(recs)
        texts.extend(txt)
    rows = pd.DataFrame.from_records(records)
    show_tests = tests is not None
    cells = []
    for rec, txt in zip(records, texts, strict=True):
        row = list(txt)
        first = rec["kind"] in ("continuous", "categorical")
        if show_tests:
            row.append(_format_p(rec.get("pvalue", math.nan), p_digits, p_threshold)
                       if first and rec.get("test") else "")
        if smd:
            v = rec.get("smd", math.nan)
            row.append(f"{v:.3f}" if first and math.isfinite(v) else "")
        cells.append(tuple(row))
    n = tuple(int((codes == i).sum()) for i in range(k))
    return Table1Result(group, tuple(arms), n, rows, tuple(cells), default_digits, p_digits,
                        p_threshold, smd, show_tests, title)


def _arms(df: pd.DataFrame, group: str) -> tuple[list[Any], np.ndarray]:
    col = df[group]
    if col.isna().any():
        i = int(np.flatnonzero(col.isna().to_numpy())[0])
        raise InputError(f"column {group!r}, {row_ref(i, noun='patient')}: expected an arm, "
                         "got an empty cell")
    if isinstance(col.dtype, pd.CategoricalDtype):
        arms = [c for c in col.cat.categories if (col == c).any()]
    else:
        try:
            arms = sorted(pd.unique(col))
        except TypeError:
            arms = sorted(pd.unique(col), key=str)
    if len(arms) < 2:
        raise InputError(f"column {group!r}: expected at least 2 arms, got "
                         f"{len(arms)} ({', '.join(map(str, arms))})")
    codes = np.full(len(df), -1)
    for i, a in enumerate(arms):
        codes[(col == a).to_numpy()] = i
    return arms, codes


def _variable(df: pd.DataFrame, name: str, label: str, categorical: Sequence[str] | None,
              continuous: Sequence[str] | None, nonnormal: Any, tests: Any, k: int,
              codes: np.ndarray, group: str) -> _Variable:
    col = df[name]
    if col.notna().sum() == 0:
        raise InputError(f"column {name!r}: every value is missing; drop it from variables")
    if name == group:
        raise InputError(f"column {name!r} is the group; it cannot also be a variable")
    listed_nonnormal = (nonnormal == "all") or (not isinstance(nonnormal, str)
                                                and name in (nonnormal or []))
    numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
    if name in (categorical or []):
        kind = "categorical"
    elif name in (continuous or []) or (listed_nonnormal and nonnormal != "all"):
        if not numeric:
            raise InputError(f"column {name!r}: listed as continuous but holds "
                             f"{col.dtype} values; expected numbers")
        kind = "continuous"
    elif numeric and (col.nunique() >= _MIN_CONTINUOUS_LEVELS
                      or 2 * col.nunique() >= col.notna().sum()):
        kind = "continuous"
    else:
        kind = "categorical"
    is_nonnormal = False
    if kind == "continuous":
        if nonnormal == "auto":
            is_nonnormal = _shapiro_rejects(col, codes)
        else:
            is_nonnormal = listed_nonnormal
    test = _choose_test(name, kind, is_nonnormal, tests, k, col, codes)
    return _Variable(name, label, kind, is_nonnormal, test)


def _shapiro_rejects(col: pd.Series, codes: np.ndarray) -> bool:
    values = col.to_numpy(dtype=float, na_value=np.nan)
    for i in np.unique(codes):
        x = values[(codes == i) & ~np.isnan(values)]
        if x.size >= 3 and np.ptp(x) > 0 and stats.shapiro(x).pvalue < 0.05:
            return True
    return False


def _choose_test(name: str, kind: str, nonnormal: bool, tests: Any, k: int, col: pd.Series,
                 codes: np.ndarray) -> str | None:
    if tests is None:
        return None
    if isinstance(tests, Mapping):
        wanted = tests.get(name, "auto")
    else:
        wanted = tests
        if wanted in _CONTINUOUS_TESTS and kind == "categorical":
            wanted = "auto"
        if wanted in _CATEGORICAL_TESTS and kind == "continuous":
            wanted = "auto"
    if wanted not in ("auto", *_CONTINUOUS_TESTS, *_CATEGORICAL_TESTS):
        raise InputError(f"tests: unknown test {wanted!r} for column {name!r}; expected auto, "
                         + ", ".join((*_CONTINUOUS_TESTS, *_CATEGORICAL_TESTS)))
    if wanted == "auto":
        if kind == "continuous":
            if nonnormal:
                return "wilcoxon" if k == 2 else "kruskal"
            return "t" if k == 2 else "anova"
        table = _crosstab(col, codes, k)
        return "fisher" if (T.expected_counts(table) < 5).any() else "chisq"
    allowed = _CONTINUOUS_TESTS if kind == "continuous" else _CATEGORICAL_TESTS
    if wanted not in allowed:
        raise InputError(f"tests: {wanted!r} does not apply to the {kind} column {name!r}; "
                         f"expected one of {', '.join(allowed)}")
    if k > 2 and wanted == "t":
        raise InputError(f"tests: 't' compares two arms, the group has {k}; use 'anova' for "
                         f"column {name!r}")
    if k > 2 and wanted == "wilcoxon":
        raise InputError(f"tests: 'wilcoxon' compares two arms, the group has {k}; use "
                         f"'kruskal' for column {name!r}")
    return wanted


def _base(spec: _Variable, level: Any, kind: str) -> dict[str, Any]:
    return {"variable": spec.name, "label": spec.label, "level": level, "kind": kind,
            "nonnormal": spec.nonnormal, "test": None, "statistic": math.nan, "df": math.nan,
            "df2": math.nan, "pvalue": math.nan, "smd": math.nan}


def _continuous(spec: _Variable, col: pd.Series, codes: np.ndarray, arms: list[Any], d: int,
                method: str) -> tuple[list[dict[str, Any]], list[list[str]]]:
    rec = _base(spec, None, "continuous")
    values = col.to_numpy(dtype=float, na_value=np.nan)
    shown = []
    for i, a in enumerate(arms):
        x = values[(codes == i) & ~np.isnan(values)]
        rec[f"{a}:n"] = int(x.size)
        rec[f"{a}:percent"] = math.nan
        mean = float(x.mean()) if x.size else math.nan
        sd = float(x.std(ddof=1)) if x.size > 1 else math.nan
        q1, med, q3 = (np.quantile(x, [0.25, 0.5, 0.75], method=method) if x.size
                       else (math.nan,) * 3)
        rec.update({f"{a}:mean": mean, f"{a}:sd": sd, f"{a}:median": float(med),
                    f"{a}:q1": float(q1), f"{a}:q3": float(q3)})
        if not x.size:
            shown.append("–")
        elif spec.nonnormal:
            shown.append(f"{med:.{d}f} ({q1:.{d}f}{_DASH}{q3:.{d}f})")
        else:
            shown.append(f"{mean:.{d}f} ({_fmt(sd, d)})")
    label = f"{spec.label}, {'median (IQR)' if spec.nonnormal else 'mean (SD)'}"
    return [rec], [[label, *shown]]


def _fmt(v: float, d: int) -> str:
    return f"{v:.{d}f}" if math.isfinite(v) else "–"


def _levels(col: pd.Series) -> list[Any]:
    present = col.dropna()
    if isinstance(col.dtype, pd.CategoricalDtype):
        return [c for c in col.cat.categories if (present == c).any()]
    try:
        return sorted(pd.unique(present))
    except TypeError:
        return sorted(pd.unique(present), key=str)


def _crosstab(col: pd.Series, codes: np.ndarray, k: int) -> np.ndarray:
    levels = _levels(col)
    known = col.notna().to_numpy()
    return np.array([[int(((col == lv).to_numpy() & known & (codes == i)).sum())
                      for i in range(k)] for lv in levels], dtype=float)


def _categorical(spec: _Variable, col: pd.Series, codes: np.ndarray, arms: list[Any], d: int
                 ) -> tuple[list[dict[str, Any]], list[list[str]]]:
    head = _base(spec, None, "categorical")
    known = col.notna().to_numpy()
    for i, a in enumerate(arms):
        head[f"{a}:n"] = int((known & (codes == i)).sum())
        head[f"{a}:percent"] = math.nan
    recs, texts = [head], [[spec.label, *([""] * len(arms))]]
    table = _crosstab(col, codes, len(arms))
    for lv, counts in zip(_levels(col), table, strict=True):
        rec = _base(spec, lv, "level")
        shown = []
        for i, a in enumerate(arms):
            total = head[f"{a}:n"]
            pct = 100 * counts[i] / total if total else math.nan
            rec[f"{a}:n"] = int(counts[i])
            rec[f"{a}:percent"] = pct
            shown.append(f"{int(counts[i])} ({_fmt(pct, d)})")
        recs.append(rec)
        texts.append([str(lv), *shown])
    return recs, texts


def _run_test(spec: _Variable, col: pd.Series, codes: np.ndarray, k: int) -> T.TestResult:
    assert spec.test is not None
    if spec.kind == "categorical":
        table = _crosstab(col, codes, k)
        nonempty = table.sum(axis=0) > 0
        if nonempty.sum() < 2 or (table.sum(axis=1) > 0).sum() < 2:
            return _no_test(spec, "fewer than two arms or levels have patients")
        if spec.test == "fisher":
            try:
                return T.fisher(table)
            except InputError as exc:
                warnings.warn(f"column {spec.name!r}: {exc}; Pearson's chi-squared test used",
                              DegenerateDataWarning, stacklevel=4)
                return T.chisq(table)
        return T.chisq(table, correct=spec.test == "chisq-yates")
    values = col.to_numpy(dtype=float, na_value=np.nan)
    groups = [values[(codes == i) & ~np.isnan(values)] for i in range(k)]
    empty = [i for i, g in enumerate(groups) if g.size == 0]
    if empty:
        return _no_test(spec, "an arm has no values")
    pooled = np.concatenate(groups)
    if np.ptp(pooled) == 0:
        return _no_test(spec, "every value is the same")
    needs_spread = spec.test in ("t", "welch", "anova")
    if needs_spread and all(g.size < 2 or np.ptp(g) == 0 for g in groups):
        return _no_test(spec, "there is no variation within arms")
    if spec.test == "welch" and any(g.size < 2 or np.ptp(g) == 0 for g in groups):
        return _no_test(spec, "Welch's test needs at least 2 different values in every arm")
    if spec.test == "t":
        return T.student_t(*groups)
    if spec.test == "welch":
        return T.welch_t(*groups) if k == 2 else T.welch_anova(groups)
    if spec.test == "anova":
        return T.anova(groups)
    if spec.test == "wilcoxon":
        return T.wilcoxon(*groups)
    return T.kruskal(groups)


def _no_test(spec: _Variable, why: str) -> T.TestResult:
    warnings.warn(f"column {spec.name!r}: no {T.TEST_NAMES[spec.test or 'chisq']}, {why}; "
                  "p-value left empty", DegenerateDataWarning, stacklevel=5)
    return T.TestResult(spec.test or "chisq", math.nan, math.nan, "not computed")


def _smd(spec: _Variable, col: pd.Series, codes: np.ndarray, k: int) -> float:
    """Largest pairwise SMD (Austin 2009; Yang and Dalton 2012 for categories)."""
    out = math.nan
    if spec.kind == "continuous":
        values = col.to_numpy(dtype=float, na_value=np.nan)
        groups = [values[(codes == i) & ~np.isnan(values)] for i in range(k)]
        for a, b in itertools.combinations(groups, 2):
            if a.size < 2 or b.size < 2:
                continue
            s = math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
            diff = abs(a.mean() - b.mean())
            v = 0.0 if diff == 0 else (diff / s if s > 0 else math.inf)
            out = v if math.isnan(out) else max(out, v)
        return out
    table = _crosstab(col, codes, k)
    for i, j in itertools.combinations(range(k), 2):
        if table[:, i].sum() == 0 or table[:, j].sum() == 0:
            continue
        v = _smd_multinomial(table[:, i] / table[:, i].sum(), table[:, j] / table[:, j].sum())
        out = v if math.isnan(out) else max(out, v)
    return out


def _smd_multinomial(p: np.ndarray, q: np.ndarray) -> float:
    """Yang and Dalton's SMD of two level distributions (first level as reference)."""
    t, c = p[1:], q[1:]
    s = (np.diag(t) - np.outer(t, t) + np.diag(c) - np.outer(c, c)) / 2
    diff = t - c
    if not np.any(diff):
        return 0.0
    # tableone uses the Moore-Penrose inverse, so a level absent from both arms is harmless.
    return float(math.sqrt(max(0.0, diff @ np.linalg.pinv(s) @ diff)))


def _format_p(p: float, digits: int, threshold: float | None) -> str:
    if not math.isfinite(p):
        return ""
    if threshold is not None and p >= threshold:
        return f">{threshold:g}"
    small = 10.0 ** (-digits)
    if p < small:
        return f"<{small:.{digits}f}"
    return f"{p:.{digits}f}"


@dataclass(frozen=True, slots=True)
class Table1Comparison(_Exports):
    """Two :class:`Table1Result` side by side (before and after matching); see
    :func:`side_by_side`."""

    before: Table1Result
    after: Table1Result
    labels: tuple[str, str] = ("Before matching", "After matching")
    title: str = "Table 1. Baseline characteristics before and after matching"

    def _parts(self) -> tuple[list[str], list[tuple[str, int]], list[list[str]],
                              list[list[str]], list[int]]:
        order = self._order()
        b_cells, b_marks, indent = self.before._layout(order)
        a_cells, a_marks, _ = self.after._layout(order)
        keys_a = {k: i for i, k in enumerate(_row_keys(self.after))}
        width_a = len(self.after.columns) - 1
        cells, marks = [], []
        for i, key in enumerate(_row_keys(self.before)):
            j = keys_a.get(key)
            cells.append(b_cells[i] + (a_cells[j][1:] if j is not None else [""] * width_a))
            marks.append(b_marks[i] + (a_marks[j][1:] if j is not None else [""] * width_a))
        columns = ["Characteristic", *self.before.columns[1:], *self.after.columns[1:]]
        groups = [("", 1), (self.labels[0], len(self.before.columns) - 1),
                  (self.labels[1], width_a)]
        return columns, groups, cells, marks, indent

    def _order(self) -> list[str]:
        return list(dict.fromkeys(self.before._tests_used() + self.after._tests_used()))

    def footnotes(self) -> tuple[str, ...]:
        """One legend for both tables: the markers are shared."""
        order = self._order()
        notes = list(self.before.footnotes(order))
        notes += [n for n in self.after.footnotes(order) if n not in notes]
        summary = [n for n in notes if n.startswith("Values are")]
        letters = sorted((n for n in notes if n[:1] in _MARKERS and n[1:2] == " "),
                         key=lambda n: n[0])
        rest = [n for n in notes if n not in summary and n not in letters]
        return tuple(summary[:1] + letters + rest[:1])

    def publication_table(self) -> PublicationTable:
        """Both tables under one two-row header, as :mod:`oncostat.report.export` writes."""
        from oncostat.report.export import PublicationTable

        columns, groups, cells, marks, indent = self._parts()
        return PublicationTable(self.title, tuple(columns), tuple(map(tuple, cells)),
                                tuple(map(tuple, marks)), tuple(indent), self.footnotes(),
                                tuple(groups), frame=self.to_frame())

    def to_frame(self) -> pd.DataFrame:
        """Flat text table; columns prefixed by "Before matching: " and "After matching: "."""
        before, after = self.before.to_frame(), self.after.to_frame()
        keys_a = {k: i for i, k in enumerate(_row_keys(self.after))}
        idx = [keys_a.get(k) for k in _row_keys(self.before)]
        right = pd.DataFrame([after.iloc[j, 1:].tolist() if j is not None
                              else [""] * (after.shape[1] - 1) for j in idx],
                             columns=[f"{self.labels[1]}: {c}" for c in after.columns[1:]])
        left = before.rename(columns={c: f"{self.labels[0]}: {c}" for c in before.columns[1:]})
        return pd.concat([left, right], axis=1)

    def to_dict(self) -> dict[str, Any]:
        return {"before": self.before.to_dict(), "after": self.after.to_dict()}

    def __str__(self) -> str:
        columns, groups, cells, marks, indent = self._parts()
        return _text_table(self.title, columns, _marked(cells, marks, indent),
                           _sup_notes(self.footnotes()), groups)


def _row_keys(result: Table1Result) -> list[tuple[str, str, str]]:
    return [(str(v), str(lv), str(kd)) for v, lv, kd in
            zip(result.rows["variable"], result.rows["level"], result.rows["kind"], strict=True)]


def side_by_side(before: Table1Result, after: Table1Result, *,
                 labels: tuple[str, str] = ("Before matching", "After matching")
                 ) -> Table1Comparison:
    """Put Table 1 before and after matching next to each other.

    Rows follow ``before``; a row missing after matching (a level no matched patient has)
    is left empty on the right. Both tables must compare the same arms.
    """
    if [str(a) for a in before.arms] != [str(a) for a in after.arms]:
        raise InputError(f"side_by_side: the tables compare different arms "
                         f"({list(before.arms)} and {list(after.arms)})")
    return Table1Comparison(before, after, labels)
