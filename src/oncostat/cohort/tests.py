"""Hypothesis tests of a baseline table, each reproducing base R's function and defaults.

=======================  ==========================================  =====================
oncostat                 R                                           arms
=======================  ==========================================  =====================
:func:`student_t`        ``t.test(x, y, var.equal = TRUE)``          2
:func:`welch_t`          ``t.test(x, y)``                            2
:func:`anova`            ``oneway.test(x ~ g, var.equal = TRUE)``    2 or more
:func:`welch_anova`      ``oneway.test(x ~ g)``                      2 or more
:func:`wilcoxon`         ``wilcox.test(x, y)``                       2
:func:`kruskal`          ``kruskal.test(x, g)``                      2 or more
:func:`chisq`            ``chisq.test(tab, correct = FALSE)``        2 or more
:func:`fisher`           ``fisher.test(tab)`` (also r x c)           2 or more
=======================  ==========================================  =====================

Every function returns a :class:`TestResult`. The functions take clean data: one array of
numbers per arm (no NaN), or a table of counts with levels in rows and arms in columns;
:func:`oncostat.cohort.table1` does the checking and the dropping of missing values.

References
----------
.. [1] Yates F. Contingency tables involving small numbers and the chi-square test.
       Suppl J R Stat Soc. 1934;1:217-235.
.. [2] Freeman GH, Halton JH. Note on an exact treatment of contingency, goodness of fit and
       other problems of significance. Biometrika. 1951;38:141-149.
.. [3] Mehta CR, Patel NR. A network algorithm for performing Fisher's exact test in r x c
       contingency tables. J Am Stat Assoc. 1983;78:427-434.
.. [4] Welch BL. On the comparison of several mean values: an alternative approach.
       Biometrika. 1951;38:330-336.
.. [5] Hollander M, Wolfe DA. Nonparametric Statistical Methods. New York: Wiley; 1973
       (the rank tests as R's ``wilcox.test`` and ``kruskal.test`` implement them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike
from scipy import special, stats

from oncostat.errors import InputError

__all__ = [
    "TEST_NAMES",
    "TestResult",
    "anova",
    "chisq",
    "fisher",
    "kruskal",
    "student_t",
    "welch_anova",
    "welch_t",
    "wilcoxon",
]

TEST_NAMES = {
    "t": "Student's t-test",
    "welch": "Welch's t-test",
    "anova": "one-way ANOVA",
    "welch-anova": "Welch's one-way ANOVA",
    "wilcoxon": "Wilcoxon rank-sum test",
    "kruskal": "Kruskal-Wallis test",
    "chisq": "Pearson's chi-squared test",
    "chisq-yates": "Pearson's chi-squared test with Yates' continuity correction",
    "fisher": "Fisher's exact test",
}
"""Names printed in table footnotes, keyed by the short name used in options."""

# fisher.test(): tables whose probability is within this relative tolerance of the observed
# table's count as "as extreme" (R's ``relErr <- 1 + 10^(-7)``), so ties in floating point
# are not lost.
_FISHER_REL_ERR = 1e-7
# wilcox.test(): the exact null distribution is used when both arms have fewer than 50
# patients and there are no ties (R's default ``exact = NULL``).
_WILCOXON_EXACT_N = 50


@dataclass(frozen=True, slots=True)
class TestResult:
    """One test: its short name (``"t"``, ``"fisher"`` ...), statistic, df and p-value.

    ``df`` is NaN when the test has no degrees of freedom and a pair ``(df1, df2)`` is given as
    ``df`` and ``df2`` for the F tests. ``method`` says how the p-value was computed, in R's
    words (``"Wilcoxon rank sum exact test"``).
    """

    __test__ = False  # not a pytest test class despite its name

    test: str
    statistic: float
    pvalue: float
    method: str
    df: float = math.nan
    df2: float = math.nan

    @property
    def name(self) -> str:
        """The name printed in footnotes, e.g. ``"Fisher's exact test"``."""
        return TEST_NAMES[self.test]


def _arms(groups: Sequence[ArrayLike], *, at_least: int, exactly: int | None = None
          ) -> list[np.ndarray]:
    arrays = [np.asarray(g, dtype=float) for g in groups]
    if exactly is not None and len(arrays) != exactly:
        raise InputError(f"expected {exactly} arms, got {len(arrays)}")
    if len(arrays) < 2:
        raise InputError(f"expected at least 2 arms, got {len(arrays)}")
    for i, a in enumerate(arrays):
        if a.size < at_least:
            raise InputError(f"arm {i + 1}: expected at least {at_least} values, got {a.size}")
    return arrays


def student_t(x: ArrayLike, y: ArrayLike) -> TestResult:
    """Two-sample t-test with pooled variance; R's ``t.test(x, y, var.equal = TRUE)``."""
    a, b = _arms([x, y], at_least=1)
    if a.size + b.size < 3:
        raise InputError("Student's t-test needs at least 3 values in all")
    res = stats.ttest_ind(a, b, equal_var=True)
    return TestResult("t", float(res.statistic), float(res.pvalue), "Two Sample t-test",
                      df=float(a.size + b.size - 2))


def welch_t(x: ArrayLike, y: ArrayLike) -> TestResult:
    """Welch's unequal-variance t-test; R's ``t.test(x, y)`` (R's default)."""
    a, b = _arms([x, y], at_least=2)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    res = stats.ttest_ind(a, b, equal_var=False)
    return TestResult("welch", float(res.statistic), float(res.pvalue),
                      "Welch Two Sample t-test", df=float(df))


def anova(groups: Sequence[ArrayLike]) -> TestResult:
    """One-way ANOVA F test; R's ``oneway.test(x ~ g, var.equal = TRUE)``.

    With two arms F is the square of Student's t and the p-values agree.
    """
    arrays = _arms(groups, at_least=1)
    n = sum(a.size for a in arrays)
    k = len(arrays)
    if n <= k:
        raise InputError(f"one-way ANOVA needs more patients ({n}) than arms ({k})")
    res = stats.f_oneway(*arrays)
    return TestResult("anova", float(res.statistic), float(res.pvalue),
                      "One-way analysis of means", df=float(k - 1), df2=float(n - k))


def welch_anova(groups: Sequence[ArrayLike]) -> TestResult:
    """Welch's heteroscedastic one-way ANOVA [4]_; R's ``oneway.test(x ~ g)``.

    With two arms F is the square of Welch's t and the p-values agree.
    """
    arrays = _arms(groups, at_least=2)
    k = len(arrays)
    n = np.array([a.size for a in arrays], dtype=float)
    m = np.array([a.mean() for a in arrays])
    v = np.array([a.var(ddof=1) for a in arrays])
    w = n / v
    total = w.sum()
    grand = (w * m).sum() / total
    tmp = ((1 - w / total) ** 2 / (n - 1)).sum() / (k**2 - 1)
    f = ((w * (m - grand) ** 2).sum() / (k - 1)) / (1 + 2 * (k - 2) * tmp)
    df2 = 1 / (3 * tmp)
    p = float(stats.f.sf(f, k - 1, df2))
    return TestResult("welch-anova", float(f), p,
                      "One-way analysis of means (not assuming equal variances)",
                      df=float(k - 1), df2=float(df2))


def wilcoxon(x: ArrayLike, y: ArrayLike) -> TestResult:
    """Wilcoxon rank-sum (Mann-Whitney) test with R's defaults [5]_.

    ``W`` is the rank sum of ``x`` minus ``n_x (n_x + 1) / 2``, as R reports it. As in
    ``wilcox.test(x, y)`` with ``exact = NULL, correct = TRUE``: the p-value is exact when both
    arms have fewer than 50 values and there are no ties; otherwise it is the normal
    approximation with the tie-corrected variance and a continuity correction of 0.5 towards
    the mean. (R also warns "cannot compute exact p-value with ties"; here ``method`` says
    which p-value was computed.)
    """
    a, b = _arms([x, y], at_least=1)
    nx, ny = a.size, b.size
    ranks = stats.rankdata(np.concatenate([a, b]))
    w = float(ranks[:nx].sum() - nx * (nx + 1) / 2)
    _, counts = np.unique(ranks, return_counts=True)
    ties = bool((counts > 1).any())
    if nx < _WILCOXON_EXACT_N and ny < _WILCOXON_EXACT_N and not ties:
        # Two-sided as in R: double the smaller tail, including the observed W.
        if w > nx * ny / 2:
            p = _wilcoxon_sf(int(w) - 1, nx, ny)
        else:
            p = _wilcoxon_cdf(int(w), nx, ny)
        return TestResult("wilcoxon", w, min(1.0, 2 * p), "Wilcoxon rank sum exact test")
    z = w - nx * ny / 2
    n = nx + ny
    sigma = math.sqrt(nx * ny / 12 * ((n + 1) - float((counts**3 - counts).sum()) / (n * (n - 1))))
    if sigma == 0:
        return TestResult("wilcoxon", w, math.nan,
                          "Wilcoxon rank sum test with continuity correction")
    z = (z - math.copysign(0.5, z) * (z != 0)) / sigma
    p = 2 * min(stats.norm.cdf(z), stats.norm.sf(z))
    return TestResult("wilcoxon", w, float(p), "Wilcoxon rank sum test with continuity correction")


@lru_cache(maxsize=64)
def _wilcoxon_counts(m: int, n: int) -> np.ndarray:
    """Number of ways each value ``0..m*n`` of the Mann-Whitney U arises (R's ``cwilcox``)."""
    # f[j][u]: ways to pick j of the ranks seen so far with U = u; add one rank at a time.
    f = np.zeros((m + 1, m * n + 1))
    f[0, 0] = 1.0
    for i in range(1, m + n + 1):
        for j in range(min(i, m), 0, -1):
            # Choosing rank i as the j-th smallest of x adds (i - j) y-values below it.
            shift = i - j
            if shift > n:
                continue
            f[j, shift:] += f[j - 1, : m * n + 1 - shift]
    return f[m]


def _wilcoxon_cdf(w: int, m: int, n: int) -> float:
    counts = _wilcoxon_counts(m, n)
    return float(counts[: w + 1].sum() / counts.sum())


def _wilcoxon_sf(w: int, m: int, n: int) -> float:
    """P(W > w), R's ``pwilcox(w, m, n, lower.tail = FALSE)``."""
    counts = _wilcoxon_counts(m, n)
    return float(counts[w + 1:].sum() / counts.sum())


def kruskal(groups: Sequence[ArrayLike]) -> TestResult:
    """Kruskal-Wallis rank-sum test with the tie correction; R's ``kruskal.test(x, g)``."""
    arrays = _arms(groups, at_least=1)
    values = np.concatenate(arrays)
    if np.unique(values).size < 2:
        return TestResult("kruskal", math.nan, math.nan, "Kruskal-Wallis rank sum test",
                          df=float(len(arrays) - 1))
    res = stats.kruskal(*arrays)
    return TestResult("kruskal", float(res.statistic), float(res.pvalue),
                      "Kruskal-Wallis rank sum test", df=float(len(arrays) - 1))


def _table(table: ArrayLike) -> np.ndarray:
    t = np.asarray(table, dtype=float)
    if t.ndim != 2 or min(t.shape) < 2:
        raise InputError(f"expected a table of counts with at least 2 rows and 2 columns, "
                         f"got shape {t.shape}")
    if (t < 0).any() or (t != np.round(t)).any():
        raise InputError("expected a table of whole-number counts >= 0")
    return t


def chisq(table: ArrayLike, *, correct: bool = False) -> TestResult:
    """Pearson's chi-squared test of independence; R's ``chisq.test(table, correct = ...)``.

    Parameters
    ----------
    table : array_like
        Counts, levels in rows and arms in columns. Rows or columns of zeros are dropped
        first (R would return NaN).
    correct : bool, default False
        Yates' continuity correction [1]_ for 2 x 2 tables, as R applies it: each
        ``|O - E|`` is reduced by ``min(0.5, |O - E|)``. False by default, as SPSS reports
        Pearson's chi-squared (R's default is True).
    """
    t = _drop_empty(_table(table))
    if min(t.shape) < 2:
        return TestResult("chisq-yates" if correct else "chisq", math.nan, math.nan,
                          "Pearson's Chi-squared test", df=math.nan)
    expected = np.outer(t.sum(axis=1), t.sum(axis=0)) / t.sum()
    diff = np.abs(t - expected)
    yates = correct and t.shape == (2, 2)
    if yates:
        diff = diff - np.minimum(0.5, diff)
    statistic = float((diff**2 / expected).sum())
    df = (t.shape[0] - 1) * (t.shape[1] - 1)
    method = "Pearson's Chi-squared test" + (
        " with Yates' continuity correction" if yates else "")
    return TestResult("chisq-yates" if yates else "chisq", statistic,
                      float(stats.chi2.sf(statistic, df)), method, df=float(df))


def _drop_empty(t: np.ndarray) -> np.ndarray:
    return t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]


def expected_counts(table: ArrayLike) -> np.ndarray:
    """Expected counts under independence, after dropping empty rows and columns."""
    t = _drop_empty(_table(table))
    return np.outer(t.sum(axis=1), t.sum(axis=0)) / t.sum()


def fisher(table: ArrayLike) -> TestResult:
    """Fisher's exact test for 2 x 2 and r x c tables [2]_; R's ``fisher.test(table)``.

    The p-value is the total probability, given both margins, of the tables no more probable
    than the observed one (Freeman-Halton), with R's relative tolerance of 1e-7. Tables are
    built column by column over the remaining row totals, as in Mehta and Patel's network
    algorithm [3]_: paths that reach the same (sorted) row totals with the same probability
    so far are merged, and the last two columns are summed at once from a sorted list.

    ``statistic`` is the probability of the observed table (R reports the conditional odds
    ratio for 2 x 2 tables instead; it is not computed here).

    Raises
    ------
    InputError
        When the enumeration would exceed 20 million partial tables (R's ``fisher.test``
        runs out of workspace on such tables too); use :func:`chisq` instead.
    """
    t = _drop_empty(_table(table)).astype(np.int64)
    if min(t.shape) < 2:
        return TestResult("fisher", 1.0, 1.0, "Fisher's Exact Test for Count Data")
    if t.shape[0] > t.shape[1]:
        t = t.T  # the shorter side as the node vector; the p-value is symmetric
    t = t[:, np.argsort(t.sum(axis=0), kind="stable")]  # largest columns summed in closed form
    rows = tuple(int(v) for v in t.sum(axis=1))
    cols = tuple(int(v) for v in t.sum(axis=0))
    n = sum(cols)
    log_const = float(sum(special.gammaln(r + 1) for r in rows) - special.gammaln(n + 1))
    log_obs = log_const + sum(_log_column(c, t[:, j]) for j, c in enumerate(cols))
    limit = log_obs + math.log1p(_FISHER_REL_ERR) - log_const
    p = _fisher_network(tuple(sorted(rows)), cols, log_const, limit)
    return TestResult("fisher", float(math.exp(log_obs)), min(1.0, p),
                      "Fisher's Exact Test for Count Data")


_FISHER_MAX_PATHS = 20_000_000


def _log_column(c: int, cells: ArrayLike) -> np.ndarray:
    """log of c! / prod(x_i!), a column's factor in the table's probability (rows on axis -1)."""
    return special.gammaln(c + 1) - special.gammaln(np.asarray(cells) + 1.0).sum(axis=-1)


def _fisher_network(rows: tuple[int, ...], cols: tuple[int, ...], log_const: float,
                    limit: float) -> float:
    """Total probability of the tables whose log of prod_j c_j!/prod_i x_ij! is <= ``limit``.

    A table's probability is ``exp(log_const)`` times that product.
    """
    k = len(cols)
    # Layer: node (sorted remaining row totals) -> (distinct past log products, path counts).
    layer: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {
        rows: (np.zeros(1), np.ones(1))}
    for stage in range(k - 2):
        grouped: dict[tuple[int, ...], list[tuple[np.ndarray, np.ndarray]]] = {}
        size = 0
        for node, (pasts, counts) in layer.items():
            cells = _compositions(cols[stage], node)
            logf = _log_column(cols[stage], cells)
            rest = np.sort(np.asarray(node) - cells, axis=1)
            for child, lf in zip(map(tuple, rest.tolist()), logf.tolist(), strict=True):
                grouped.setdefault(child, []).append((pasts + lf, counts))
            size += pasts.size * len(logf)
            if size > _FISHER_MAX_PATHS:
                raise InputError("table too large for Fisher's exact test "
                                 f"(margins {list(rows)} x {list(cols)}); use the chi-squared "
                                 "test")
        layer = {child: _merge(parts) for child, parts in grouped.items()}
    total = 0.0
    for node, (pasts, counts) in layer.items():
        values, log_cum = _last_two(node, cols[-2], cols[-1])
        idx = np.searchsorted(values, limit - pasts, side="right")
        hit = idx > 0
        total += float((counts[hit] * np.exp(log_const + pasts[hit] + log_cum[idx[hit] - 1])).sum())
    return total


def _merge(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Merge paths whose past log products agree to 1e-9 (the same partial probability)."""
    pasts = np.concatenate([p for p, _ in parts])
    counts = np.concatenate([c for _, c in parts])
    keys = np.round(pasts * 1e9)
    uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return pasts[first], np.bincount(inverse, weights=counts, minlength=uniq.size)


@lru_cache(maxsize=4096)
def _last_two(node: tuple[int, ...], c1: int, c2: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted log products of the last two columns and the log of their running sums."""
    cells = _compositions(c1, node)
    values = np.sort(_log_column(c1, cells) + _log_column(c2, np.asarray(node) - cells))
    return values, np.logaddexp.accumulate(values)


def _compositions(c: int, caps: tuple[int, ...]) -> np.ndarray:
    """All vectors x with sum c and 0 <= x_i <= caps_i, one per row."""
    ways = np.zeros(c + 1)
    ways[0] = 1.0
    for cap in caps:  # count first: coefficients of prod_i (1 + z + ... + z^cap_i)
        cum = np.cumsum(ways)
        shifted = np.concatenate([np.zeros(cap + 1), cum[: max(0, c - cap)]])
        ways = cum - shifted[: c + 1]
    if ways[c] > _FISHER_MAX_PATHS:
        raise InputError(f"table too large for Fisher's exact test (a column of {c} patients "
                         f"over totals {list(caps)}); use the chi-squared test")
    out = np.zeros((1, 0), dtype=np.int64)
    left = np.array([c])
    for i, cap in enumerate(caps):
        rest_cap = sum(caps[i + 1:])
        if i == len(caps) - 1:
            keep = left <= cap
            return np.column_stack([out[keep], left[keep]])
        low = np.maximum(0, left - rest_cap)
        high = np.minimum(cap, left)
        reps = np.maximum(high - low + 1, 0)
        base = np.repeat(np.arange(out.shape[0]), reps)
        offs = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
        x = low[base] + offs
        out = np.column_stack([out[base], x])
        left = left[base] - x
    return out
