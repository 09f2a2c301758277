"""Covariate balance before and after matching, with MatchIt's conventions.

:func:`balance` compares every pair of arms on every covariate term: the means, the
standardised mean difference (SMD) [1]_, the variance ratio and the eCDF statistics, in the
unmatched and the matched sample, as ``summary()`` of a ``matchit`` object reports them [2]_
[3]_. :func:`balance_table` is the same for a :class:`~oncostat.matching.MatchResult`.

Conventions (MatchIt 4.5 ``summary.matchit`` and its internal ``bal1var``; cobalt agrees):

* Terms: a numeric column is one term, *binary* when every value is 0 or 1; any other column
  (text, categories, ``bool``) gives one 0/1 term per level, all levels kept, named
  ``column[level]``.
* SMD denominator, fixed before matching and reused after it, so the SMDs before and after
  are on one scale: ``sd="treated"`` (the ATT default) uses the SD of the focal arm in the
  unmatched sample, for every pair of arms; ``sd="pooled"`` (the ATE default) uses
  ``sqrt((s_a^2 + s_b^2) / 2)`` of the pair's arms in the unmatched sample. Variances are
  ``sum(w (x - m)^2) / (1 - sum(w^2))`` with weights normalised to sum to 1 (the unbiased
  ``n - 1`` variance when all weights are equal); for binary terms ``p (1 - p)``, without the
  ``n - 1`` correction: MatchIt standardises binary variables too, with this variance. When
  the denominator is below ``sqrt(machine epsilon)`` the pooled SD with contributions
  proportional to arm size is used; when the absolute mean difference is below it, the raw
  difference is reported.
* Variance ratio: weighted variance of arm ``a`` over arm ``b``; continuous terms only.
* eCDF mean and max: the mean and the maximum of ``|F_a(x) - F_b(x)|`` over the distinct values
  ``x`` of the term in the unmatched sample of the two arms (MatchIt gives unmatched patients
  weight 0, so their values remain evaluation points), each arm's weights normalised to 1;
  for binary terms both are the absolute difference in proportions.
* Pairs: the focal arm first, then the other arms in their order; ``a`` is the first arm of
  a pair, so an SMD is ``(mean_a - mean_b) / SD``. With two arms and the treated arm focal,
  every number equals MatchIt's; with three or more arms there is no MatchIt reference and
  each pair is computed as MatchIt computes a two-arm comparison, with the denominator above.

References
----------
.. [1] Austin PC. Balance diagnostics for comparing the distribution of baseline covariates
       between treatment groups in propensity-score matched samples. Stat Med.
       2009;28:3083-3107.
.. [2] Ho DE, Imai K, King G, Stuart EA. MatchIt: nonparametric preprocessing for
       parametric causal inference. J Stat Softw. 2011;42(8):1-28.
.. [3] Greifer N. cobalt: covariate balance tables and plots. R package; vignette
       "cobalt: Covariate Balance Tables and Plots" (s.d.denom and binary conventions).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from oncostat._results import ResultMixin, jsonable
from oncostat._validate import as_frame, numeric_column, require_columns, row_ref
from oncostat.errors import InputError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["BalanceTable", "balance", "balance_table"]

Estimand = Literal["ATT", "ATE"]
SdDenominator = Literal["treated", "pooled"]

_EPS = math.sqrt(np.finfo(float).eps)
_STATS = ("mean_a", "mean_b", "smd", "var_ratio", "ecdf_mean", "ecdf_max")


@dataclass(frozen=True, slots=True)
class BalanceTable(ResultMixin):
    """Result of :func:`balance`; see its docstring.

    ``table`` has one row per pair of arms and term: ``arm_a``, ``arm_b``, ``variable``,
    ``level`` (``None`` for numeric terms), ``term``, ``binary``, then ``mean_a``,
    ``mean_b``, ``smd``, ``var_ratio``, ``ecdf_mean``, ``ecdf_max``, each with the suffix
    ``_before`` and ``_after`` (NaN after when no matched sample was given). ``sizes`` has one
    row per arm: ``n_before``, ``n_after`` (patients with weight > 0) and ``ess_after``
    (Kish's effective sample size, ``(sum w)^2 / sum w^2``, as MatchIt's "Matched (ESS)").
    """

    arms: tuple[Any, ...]
    focal: Any
    estimand: Estimand
    sd: SdDenominator
    matched: bool
    table: pd.DataFrame = field(repr=False)
    sizes: pd.DataFrame = field(repr=False)

    @property
    def pairs(self) -> list[tuple[Any, Any]]:
        """The compared pairs of arms, ``(a, b)``, in table order."""
        return list(dict.fromkeys(zip(self.table["arm_a"], self.table["arm_b"], strict=True)))

    def max_abs_smd(self, sample: Literal["before", "after"] = "after") -> float:
        """Largest absolute SMD over all pairs and terms."""
        values = self.table[f"smd_{sample}"].abs()
        return float(values.max()) if values.notna().any() else math.nan

    def imbalanced(self, threshold: float = 0.1, sample: Literal["before", "after"] = "after"
                   ) -> pd.DataFrame:
        """Rows whose absolute SMD exceeds ``threshold`` (0.1, Austin 2009 [1]_)."""
        return self.table[self.table[f"smd_{sample}"].abs() > threshold]

    def __str__(self) -> str:
        denom = (f"SD of {self.focal} before matching" if self.sd == "treated"
                 else "pooled SD of the pair before matching")
        lines = [f"Covariate balance, {self.estimand} ({denom})"]
        after = self.matched
        for a, b in self.pairs:
            part = self.table[(self.table["arm_a"] == a) & (self.table["arm_b"] == b)]
            lines.append(f"  {a} vs {b}")
            head = f"    {'':<18}{'SMD':>8}{'VR':>7}{'eCDF max':>10}"
            if after:
                head += f"{'SMD':>10}{'VR':>7}{'eCDF max':>10}"
                lines.append(f"    {'':<18}{'before':>25}{'after':>27}")
            lines.append(head)
            for row in part.itertuples():
                line = (f"    {_clip(row.term, 18):<18}{_num(row.smd_before, 8)}"
                        f"{_num(row.var_ratio_before, 7)}{_num(row.ecdf_max_before, 10)}")
                if after:
                    line += (f"{_num(row.smd_after, 10)}{_num(row.var_ratio_after, 7)}"
                             f"{_num(row.ecdf_max_after, 10)}")
                lines.append(line)
        sizes = ", ".join(
            f"{arm} {int(r.n_before)}" + (f" -> {int(r.n_after)}" if after else "")
            for arm, r in self.sizes.iterrows())
        lines.append(f"  Patients: {sizes}")
        if after:
            lines.append(f"  Largest |SMD| before {self.max_abs_smd('before'):.3f}, "
                         f"after {self.max_abs_smd('after'):.3f}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """The balance rows at full precision (a copy of ``table``)."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: options, rows and sample sizes."""
        return jsonable({
            "estimand": self.estimand, "sd": self.sd, "focal": self.focal,
            "arms": list(self.arms), "matched": self.matched,
            "rows": self.table, "sizes": self.sizes.reset_index(names="arm")})

    def plot(self, **kwargs: Any) -> Figure:
        """Love plot; see :func:`oncostat.plot.love.love_plot`."""
        from oncostat.plot.love import love_plot

        return love_plot(self, **kwargs)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _num(v: float, width: int) -> str:
    return f"{'' if not math.isfinite(v) else f'{v:.3f}':>{width}}"


@dataclass(frozen=True, slots=True)
class _Term:
    variable: str
    level: Any
    name: str


def balance(
    data_before: pd.DataFrame,
    data_after: pd.DataFrame | None = None,
    *,
    treatment: str,
    covariates: Sequence[str],
    focal: Any = None,
    weights_after: str | None = None,
    estimand: Estimand = "ATT",
    sd: SdDenominator | None = None,
) -> BalanceTable:
    """Balance of covariates between every pair of arms, before and after matching [1]_ [2]_.

    Parameters
    ----------
    data_before : DataFrame
        The cohort before matching, one row per patient.
    data_after : DataFrame, optional
        The matched sample: one row per matched patient (a control matched more than once
        appears once, with its total weight). Without it only the "before" columns are filled.
    treatment : str
        Column holding the arm of each patient (two or more arms).
    covariates : sequence of str
        Columns to compare; see the module docstring for how terms are formed.
    focal : optional
        The treated (focal) arm: first in every pair it belongs to, and its SD is the
        denominator with ``sd="treated"``. Required for ``estimand="ATT"`` unless the arms
        are 0 and 1 (then 1). MatchIt's ``estimand`` and ``focal``.
    weights_after : str, optional
        Column of ``data_after`` with the matching weights (MatchIt's ``weights``); by default
        every matched patient has weight 1.
    estimand : {"ATT", "ATE"}, default "ATT"
        Chooses the default ``sd``, as ``summary.matchit`` does.
    sd : {"treated", "pooled"}, optional
        SMD denominator: the focal arm's SD before matching (MatchIt's and cobalt's
        ``s.d.denom = "treated"``) or the pair's pooled SD with equal contributions
        (``"pooled"``). Default ``"treated"`` for ATT, ``"pooled"`` for ATE.

    Returns
    -------
    BalanceTable

    Raises
    ------
    InputError
        For a missing column, a treatment with fewer than two arms, a missing or non-numeric
        covariate value (the column and row are named), negative weights, or an unknown focal
        arm.

    Examples
    --------
    With the cohort that ``tests/reference/matching/balance_matchit.R`` matched 2:1 with
    MatchIt (its ``treat``, covariates and ``weights``), the SMD of ``age`` is 1.409 before and
    0.286 after matching, as ``summary(m)`` prints them:

    >>> res = balance(d, d[d.weights > 0], treatment="treat", covariates=["age"],
    ...               weights_after="weights")  # doctest: +SKIP
    >>> res.table[["smd_before", "smd_after"]].round(3).values.tolist()  # doctest: +SKIP
    [[1.409, 0.286]]
    """
    before = as_frame(data_before, what="data_before")
    covariates = list(covariates)
    if not covariates:
        raise InputError("covariates: expected at least one column name")
    require_columns(before, [treatment, *covariates], what="data_before")
    if estimand not in ("ATT", "ATE"):
        raise InputError(f"estimand: expected 'ATT' or 'ATE', got {estimand!r}")
    if sd is None:
        sd = "treated" if estimand == "ATT" else "pooled"
    if sd not in ("treated", "pooled"):
        raise InputError(f"sd: expected 'treated' or 'pooled', got {sd!r}")
    arms = _arms(before, treatment, "data_before")
    focal = _focal(arms, focal, needed=estimand == "ATT" or sd == "treated")
    if focal is not None:
        arms = [focal, *[a for a in arms if a != focal]]
    terms, x_before = _terms(before, covariates, what="data_before")
    t_before = before[treatment].to_numpy()

    after = None
    if data_after is not None:
        after = as_frame(data_after, what="data_after")
        require_columns(after, [treatment, *covariates], what="data_after")
        unknown = set(_arms(after, treatment, "data_after", at_least=0)) - set(arms)
        if unknown:
            raise InputError(f"data_after: column {treatment!r} has arms not in data_before: "
                             f"{sorted(map(str, unknown))}")
        x_after = _design(after, terms, what="data_after")
        t_after = after[treatment].to_numpy()
        if weights_after is None:
            w_after = np.ones(len(after))
        else:
            w_after = numeric_column(after, weights_after, minimum=0.0, noun="patient")
    elif weights_after is not None:
        raise InputError("weights_after: given without data_after")

    binary = np.all((x_before == 0) | (x_before == 1), axis=0)
    rows = []
    for a, b in itertools.combinations(arms, 2):
        in_a, in_b = t_before == a, t_before == b
        for j, term in enumerate(terms):
            xa, xb = x_before[in_a, j], x_before[in_b, j]
            bin_j = bool(binary[j])
            if sd == "treated":
                denom = math.sqrt(_wvar(x_before[t_before == focal, j], None, bin_j))
            else:
                denom = math.sqrt((_wvar(xa, None, bin_j) + _wvar(xb, None, bin_j)) / 2)
            if not math.isfinite(denom) or denom < _EPS:
                denom = _pooled_sd_proportional(xa, xb, bin_j)
            grid = np.unique(np.concatenate([xa, xb]))
            row = {"arm_a": a, "arm_b": b, "variable": term.variable, "level": term.level,
                   "term": term.name, "binary": bin_j}
            stats_before = _pair_stats(xa, xb, None, None, denom, bin_j, grid)
            row.update({f"{k}_before": v for k, v in zip(_STATS, stats_before, strict=True)})
            if after is not None:
                sa, sb = t_after == a, t_after == b
                stats_after = _pair_stats(x_after[sa, j], x_after[sb, j], w_after[sa],
                                          w_after[sb], denom, bin_j, grid)
            else:
                stats_after = (math.nan,) * len(_STATS)
            row.update({f"{k}_after": v for k, v in zip(_STATS, stats_after, strict=True)})
            rows.append(row)
    table = pd.DataFrame(rows)
    sizes = pd.DataFrame(index=pd.Index(arms, name=None))
    sizes["n_before"] = [int((t_before == a).sum()) for a in arms]
    if after is not None:
        sizes["n_after"] = [int(((t_after == a) & (w_after > 0)).sum()) for a in arms]
        sizes["ess_after"] = [_ess(w_after[t_after == a]) for a in arms]
    else:
        sizes["n_after"] = np.nan
        sizes["ess_after"] = np.nan
    return BalanceTable(tuple(arms), focal, estimand, sd, after is not None, table, sizes)


def balance_table(match_result: Any, *, covariates: Sequence[str] | None = None,
                  estimand: Estimand | None = None, sd: SdDenominator | None = None
                  ) -> BalanceTable:
    """:func:`balance` of a :class:`~oncostat.matching.MatchResult`, before and after.

    Uses the result's cohort (``data``), matched rows (``matched`` with its ``weight``
    column), ``treatment``, ``focal``, ``covariates`` and ``estimand``; ``covariates``,
    ``estimand`` and ``sd`` override them.
    """
    return balance(
        match_result.data, match_result.matched, treatment=match_result.treatment,
        covariates=list(covariates if covariates is not None else match_result.covariates),
        focal=match_result.focal, weights_after="weight",
        estimand=estimand or getattr(match_result, "estimand", "ATT"), sd=sd)


def _arms(data: pd.DataFrame, treatment: str, what: str, at_least: int = 2) -> list[Any]:
    col = data[treatment]
    if col.isna().any():
        i = int(np.flatnonzero(col.isna().to_numpy())[0])
        raise InputError(f"{what}: column {treatment!r}, {row_ref(i, noun='patient')}: "
                         "expected an arm, got an empty cell")
    levels = list(col.cat.categories if isinstance(col.dtype, pd.CategoricalDtype)
                  else pd.unique(col))
    levels = [lv for lv in levels if (col == lv).any()]
    if at_least and len(levels) < at_least:
        raise InputError(f"{what}: column {treatment!r} has {len(levels)} arm(s) "
                         f"({', '.join(map(str, levels))}); expected at least {at_least}")
    try:
        return sorted(levels)
    except TypeError:
        return sorted(levels, key=str)


def _focal(arms: list[Any], focal: Any, *, needed: bool) -> Any:
    if focal is None:
        if set(arms) == {0, 1}:
            return next(a for a in arms if a == 1)
        if needed:
            raise InputError(f"focal: name the treated arm, one of {', '.join(map(str, arms))}")
        return None
    hit = [a for a in arms if a == focal or str(a) == str(focal)]
    if not hit:
        raise InputError(f"focal: {focal!r} is not an arm; the arms are "
                         f"{', '.join(map(str, arms))}")
    return hit[0]


def _is_categorical(s: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)


def _terms(data: pd.DataFrame, covariates: list[str], *, what: str
           ) -> tuple[list[_Term], np.ndarray]:
    terms: list[_Term] = []
    for c in covariates:
        s = data[c]
        if s.isna().any():
            i = int(np.flatnonzero(s.isna().to_numpy())[0])
            raise InputError(f"{what}: column {c!r}, {row_ref(i, noun='patient')}: expected a "
                             "value, got an empty cell (balance needs complete covariates)")
        if _is_categorical(s):
            if isinstance(s.dtype, pd.CategoricalDtype):
                levels = [lv for lv in s.cat.categories if (s == lv).any()]
            else:
                levels = sorted(pd.unique(s), key=lambda v: (str(type(v)), v))
            terms.extend(_Term(c, lv, f"{c}[{lv}]") for lv in levels)
        else:
            terms.append(_Term(c, None, c))
    return terms, _design(data, terms, what=what)


def _design(data: pd.DataFrame, terms: list[_Term], *, what: str) -> np.ndarray:
    cols = []
    for term in terms:
        s = data[term.variable]
        if s.isna().any():
            i = int(np.flatnonzero(s.isna().to_numpy())[0])
            raise InputError(f"{what}: column {term.variable!r}, {row_ref(i, noun='patient')}: "
                             "expected a value, got an empty cell")
        if term.level is None:
            cols.append(numeric_column(data, term.variable, noun="patient"))
        else:
            cols.append((s == term.level).to_numpy(dtype=float))
    return np.column_stack(cols) if cols else np.empty((len(data), 0))


def _wvar(x: np.ndarray, w: np.ndarray | None, binary: bool) -> float:
    """MatchIt's ``wvar``: reliability-weighted variance, or p (1 - p) for a binary term."""
    if x.size == 0:
        return math.nan
    w = np.ones(x.size) if w is None else w
    total = w.sum()
    if total <= 0:
        return math.nan
    w = w / total
    m = float((w * x).sum())
    if binary:
        return m * (1 - m)
    denom = 1 - float((w**2).sum())
    return float((w * (x - m) ** 2).sum()) / denom if denom > 0 else math.nan


def _pooled_sd_proportional(xa: np.ndarray, xb: np.ndarray, binary: bool) -> float:
    """MatchIt's fallback ``pooled_sd(..., contribution = "proportional")``, unweighted."""
    n = xa.size + xb.size
    if binary:
        v = sum(x.sum() * (1 - x.sum() / x.size) / n for x in (xa, xb) if x.size)
    else:
        v = sum(((x - x.mean()) ** 2).sum() for x in (xa, xb) if x.size) / (n - 2)
    return math.sqrt(v) if n > 2 or binary else math.nan


def _pair_stats(xa: np.ndarray, xb: np.ndarray, wa: np.ndarray | None, wb: np.ndarray | None,
                denom: float, binary: bool, grid: np.ndarray) -> tuple[float, ...]:
    wa = np.ones(xa.size) if wa is None else wa
    wb = np.ones(xb.size) if wb is None else wb
    if wa.sum() <= 0 or wb.sum() <= 0:
        return (math.nan,) * len(_STATS)
    mean_a = float((wa * xa).sum() / wa.sum())
    mean_b = float((wb * xb).sum() / wb.sum())
    diff = mean_a - mean_b
    too_small = (wa > 0).sum() < 2 and (wb > 0).sum() < 2
    if abs(diff) <= _EPS:
        smd = diff  # MatchIt reports the raw difference when it is (numerically) zero
    elif too_small:
        smd = math.nan
    else:
        smd = diff / denom
    if binary:
        return mean_a, mean_b, smd, math.nan, abs(diff), abs(diff)
    if too_small:
        return mean_a, mean_b, smd, math.nan, math.nan, math.nan
    var_b = _wvar(xb, wb, False)
    ratio = _wvar(xa, wa, False) / var_b if var_b > 0 else math.nan
    gap = np.abs(_ecdf(xa, wa, grid) - _ecdf(xb, wb, grid))
    return mean_a, mean_b, smd, ratio, float(gap.mean()), float(gap.max())


def _ecdf(x: np.ndarray, w: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Weighted eCDF of ``x`` at ``grid`` (weights normalised to 1)."""
    order = np.argsort(x, kind="stable")
    cum = np.concatenate([[0.0], np.cumsum(w[order])]) / w.sum()
    return cum[np.searchsorted(x[order], grid, side="right")]


def _ess(w: np.ndarray) -> float:
    sq = float((w**2).sum())
    return float(w.sum() ** 2 / sq) if sq > 0 else 0.0
