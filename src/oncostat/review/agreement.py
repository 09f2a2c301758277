"""Agreement between two screeners: Cohen's kappa with its confidence interval, and PABAK.

:func:`cohen_kappa` works on a square table of counts (rater 1 in rows, rater 2 in
columns); :func:`agreement` builds that table from the screening ledger for one stage.
The variance of kappa is the large-sample (non-null) variance of Fleiss, Cohen & Everitt
[1]_, the one R's ``psych::cohen.kappa`` reports as ``var.kappa``; the interval is
``kappa ± z·SE``. PABAK, the prevalence- and bias-adjusted kappa of Byrt, Bishop &
Carlin [2]_, is ``(k·p_o − 1) / (k − 1)`` for ``k`` categories (``2·p_o − 1`` for two),
which reviewers report beside kappa because screening sets are very unbalanced.

References
----------
.. [1] Fleiss JL, Cohen J, Everitt BS. Large sample standard errors of kappa and weighted
       kappa. Psychol Bull. 1969;72(5):323-327.
.. [2] Byrt T, Bishop J, Carlin JB. Bias, prevalence and kappa. J Clin Epidemiol.
       1993;46(5):423-429.
.. [3] Cohen J. A coefficient of agreement for nominal scales. Educ Psychol Meas.
       1960;20:37-46.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from oncostat._results import ResultMixin, jsonable
from oncostat.errors import DegenerateDataWarning, InputError

if TYPE_CHECKING:
    from oncostat.review.store import ReviewStore

__all__ = ["Agreement", "agreement", "cohen_kappa"]

Maybe = Literal["include", "exclude", "separate"]


@dataclass(frozen=True, slots=True)
class Agreement(ResultMixin):
    """Result of :func:`cohen_kappa` and :func:`agreement`; see their docstrings.

    ``table`` holds the counts (rater 1 in rows, rater 2 in columns); ``po`` and ``pe``
    are the observed and chance-expected proportions of agreement.
    """

    kappa: float
    se: float
    ci_low: float
    ci_high: float
    pabak: float
    po: float
    pe: float
    n: int
    categories: tuple[str, ...]
    raters: tuple[str, str] = ("rater 1", "rater 2")
    stage: str | None = None
    maybe: Maybe | None = None
    confidence_level: float = 0.95
    table: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def __str__(self) -> str:
        where = f" at {self.stage.replace('_', '/')}" if self.stage else ""
        how = "" if self.maybe is None else f"; 'maybe' {_MAYBE_TEXT[self.maybe]}"
        level = f"{self.confidence_level:.0%}"
        return (f"Agreement between {self.raters[0]} and {self.raters[1]}{where} "
                f"(n = {self.n:,} records{how})\n"
                f"  Cohen's kappa {self.kappa:.3f} ({level} CI {self.ci_low:.3f} to "
                f"{self.ci_high:.3f}), SE {self.se:.4f}\n"
                f"  Observed agreement {self.po:.1%}, expected by chance {self.pe:.1%}; "
                f"PABAK {self.pabak:.3f}")

    def to_frame(self) -> pd.DataFrame:
        """One row: ``kappa, se, ci_low, ci_high, pabak, po, pe, n``."""
        return pd.DataFrame([{k: getattr(self, k) for k in
                              ("kappa", "se", "ci_low", "ci_high", "pabak", "po", "pe", "n")}])

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: the statistics, raters, stage and the table as nested lists."""
        return jsonable({**self.to_frame().iloc[0].to_dict(), "n": self.n,
                         "categories": list(self.categories), "raters": list(self.raters),
                         "stage": self.stage, "maybe": self.maybe,
                         "confidence_level": self.confidence_level,
                         "table": self.table.to_numpy().tolist()})


_MAYBE_TEXT = {"include": "counted as include", "exclude": "counted as exclude",
               "separate": "a category of its own"}


def cohen_kappa(table: ArrayLike | pd.DataFrame, *, confidence_level: float = 0.95,
                raters: tuple[str, str] = ("rater 1", "rater 2")) -> Agreement:
    """Cohen's kappa [3]_ of a square table of counts, with SE, CI and PABAK.

    Parameters
    ----------
    table : array_like or DataFrame, shape (k, k)
        Counts: row ``i``, column ``j`` is the number of items rater 1 put in category
        ``i`` and rater 2 in category ``j``. A DataFrame's index names the categories.
    confidence_level : float, default 0.95
        Of the interval ``kappa ± z·SE`` (``alpha = 1 - confidence_level`` in
        ``psych::cohen.kappa``).
    raters : (str, str)
        Names used when printing.

    Returns
    -------
    Agreement

    Notes
    -----
    With ``p_ij`` the cell proportions, ``p_i.`` and ``p_.j`` the margins, the variance is
    that of Fleiss, Cohen & Everitt [1]_, eq. 13:

    .. math:: \\frac{\\sum_i p_{ii}[(1-p_e) - (p_{.i}+p_{i.})(1-p_o)]^2
              + (1-p_o)^2 \\sum_{i \\ne j} p_{ij}(p_{.i}+p_{j.})^2
              - (p_o p_e - 2p_e + p_o)^2}{n (1-p_e)^4}

    The interval is cut at -1 and 1, as ``psych::cohen.kappa`` cuts it: with few records
    and high agreement ``kappa + z·SE`` can pass 1, which kappa cannot.

    When chance agreement is 1 (both raters used one category only) kappa is undefined:
    it is NaN, with a :class:`DegenerateDataWarning`.

    Examples
    --------
    Fleiss, Levin & Paik's two psychiatrists and 100 patients (3rd ed., 2003, section
    18.1): ``p_o = 0.89``, ``p_e = 0.66``, kappa = 0.23 / 0.34 = 0.676.

    >>> from oncostat.review.agreement import cohen_kappa
    >>> res = cohen_kappa([[75, 1, 4], [5, 4, 1], [0, 0, 10]])
    >>> round(res.kappa, 3), round(res.se, 4)
    (0.676, 0.0877)
    """
    if isinstance(table, pd.DataFrame):
        categories = tuple(str(c) for c in table.index)
        counts = table.to_numpy()
    else:
        counts = np.asarray(table)
        categories = tuple(str(i) for i in range(len(counts)))
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] < 2:
        raise InputError(f"table: expected a square table of counts with at least 2 "
                         f"categories, got shape {counts.shape}")
    try:
        counts = counts.astype(float)
    except ValueError:
        raise InputError("table: expected counts (numbers), got text") from None
    if not np.isfinite(counts).all() or (counts < 0).any():
        raise InputError("table: expected counts >= 0")
    if not 0 < confidence_level < 1:
        raise InputError(f"confidence_level: expected a number between 0 and 1, got "
                         f"{confidence_level}")
    n = counts.sum()
    if n == 0:
        raise InputError("table: no items were rated by both raters")
    p = counts / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    k = len(p)
    po = float(np.trace(p))
    pe = float(rows @ cols)
    pabak = (k * po - 1) / (k - 1)
    frame = pd.DataFrame(counts.astype(int), index=list(categories), columns=list(categories))
    if math.isclose(pe, 1.0):
        warnings.warn("both raters put every item in the same category; kappa is undefined "
                      "(NaN), PABAK is reported", DegenerateDataWarning, stacklevel=2)
        nan = math.nan
        return Agreement(nan, nan, nan, nan, pabak, po, pe, int(n), categories, raters,
                         confidence_level=confidence_level, table=frame)
    kappa = (po - pe) / (1 - pe)
    diag = np.diag(p)
    term1 = float(np.sum(diag * ((1 - pe) - (cols + rows) * (1 - po)) ** 2))
    # Cell (i, j) is weighted by column margin of i plus row margin of j (FCE eq. 13).
    cross = cols[:, None] + rows[None, :]
    off = p * cross ** 2
    term2 = (1 - po) ** 2 * float(off.sum() - np.trace(off))
    term3 = (po * pe - 2 * pe + po) ** 2
    var = max((term1 + term2 - term3) / (n * (1 - pe) ** 4), 0.0)
    se = math.sqrt(var)
    z = float(stats.norm.ppf(0.5 + confidence_level / 2))
    low, high = max(kappa - z * se, -1.0), min(kappa + z * se, 1.0)
    return Agreement(kappa, se, low, high, pabak, po, pe, int(n),
                     categories, raters, confidence_level=confidence_level, table=frame)


def agreement(store: ReviewStore, stage: Literal["title_abstract", "full_text"], *,
              maybe: Maybe = "include", reviewers: tuple[str, str] | None = None,
              confidence_level: float = 0.95) -> Agreement:
    """Agreement of the two screeners' independent decisions at one stage.

    Parameters
    ----------
    store : ReviewStore
    stage : {"title_abstract", "full_text"}
    maybe : {"include", "exclude", "separate"}, default "include"
        How a "maybe" counts: as include (it would go on to full text), as exclude, or as
        a third category (a 3 x 3 table).
    reviewers : (str, str), optional
        The two reviewers to compare; needed only when more than two screened the stage.
    confidence_level : float, default 0.95

    Returns
    -------
    Agreement
        Over the records both reviewers decided; adjudications are not counted.
    """
    from oncostat.review.screening import check_stage

    check_stage(stage)
    if maybe not in _MAYBE_TEXT:
        raise InputError(f"maybe: expected 'include', 'exclude' or 'separate', got {maybe!r}")
    ledger = store.screening_decisions()
    ledger = ledger[(ledger["stage"] == stage) & (ledger["role"] == "reviewer")]
    names = list(dict.fromkeys(ledger["reviewer"]))
    if reviewers is None:
        if len(names) != 2:
            raise InputError(f"agreement at {stage}: expected decisions by two reviewers, "
                             f"found {len(names)} ({', '.join(names) or 'none'}); name the "
                             f"two with reviewers=")
        reviewers = (names[0], names[1])
    for name in reviewers:
        if name not in names:
            raise InputError(f"reviewers: {name!r} made no decisions at {stage}")
    wide = ledger.pivot(index="record_id", columns="reviewer", values="decision")
    both = wide[list(reviewers)].dropna()
    if maybe != "separate":
        both = both.replace("maybe", maybe)
    categories = ["include", "exclude"] + (["maybe"] if maybe == "separate" else [])
    counts = pd.crosstab(pd.Categorical(both[reviewers[0]], categories),
                         pd.Categorical(both[reviewers[1]], categories), dropna=False)
    counts.index = counts.columns = categories
    result = cohen_kappa(counts, confidence_level=confidence_level, raters=reviewers)
    return Agreement(result.kappa, result.se, result.ci_low, result.ci_high, result.pabak,
                     result.po, result.pe, result.n, result.categories, reviewers, stage,
                     maybe, confidence_level, result.table)
