"""Propensity score matching: :func:`match` and its result, :class:`MatchResult`.

Two arms: the focal arm is matched 1:k to the other as MatchIt does [2]_. Three or more
arms (the seed study's 1:2:2, ``ratio={"BSC": 2, "PC": 2}``): either one pairwise model
and matching per comparison, the sets sharing the focal patient (``method="nearest"`` or
``"optimal"``, as the seed study), or vector matching on the generalised propensity score
(``method="vector"``, Lopez & Gutman [4]_). The matched data carry a set id, so the
survival engine can stratify or cluster by set.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import special

from oncostat._results import ResultMixin, jsonable
from oncostat._validate import require_columns, row_ref
from oncostat.errors import DegenerateDataWarning, InputError
from oncostat.matching._design import Arms, build_terms, numeric_covariate, patient_ids, read_arms
from oncostat.matching.multiarm import vector_match
from oncostat.matching.nearest import MatchOrder, mahalanobis_match, nearest_neighbour
from oncostat.matching.optimal import optimal_match
from oncostat.matching.propensity import (
    PropensityMethod,
    PropensityModel,
    check_columns,
    fit_model,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from oncostat.matching.balance import BalanceTable

__all__ = ["MatchResult", "match"]

MatchMethod = Literal["nearest", "optimal", "vector"]
CaliperScale = Literal["logit", "ps"]
CaliperSd = Literal["all", "pooled"]


@dataclass(frozen=True, slots=True)
class MatchResult(ResultMixin):
    """Result of :func:`match`; see its docstring.

    ``matched`` has one row per patient per set (with replacement a patient may be in
    several sets): the input columns plus ``set_id``, ``weight``, ``ps`` and ``logit``.
    ``sets`` is the long list of set members: ``set_id``, ``focal`` (the focal patient's
    id), ``arm``, ``id`` (the member's id; the focal patient is listed in its own set).
    ``n_before`` and ``n_matched`` count patients per arm (distinct patients).
    """

    method: MatchMethod
    treatment: str
    focal: object
    arms: tuple[object, ...]
    covariates: tuple[str, ...]
    ratio: dict[str, int]
    order: MatchOrder
    replace: bool
    n_before: dict[str, int]
    n_matched: dict[str, int]
    caliper: dict[str, Any] | None
    unmatched_focal: tuple[object, ...]
    n_incomplete: int
    ps_models: dict[str, PropensityModel] = field(repr=False)
    matched: pd.DataFrame = field(repr=False)
    sets: pd.DataFrame = field(repr=False)
    data: pd.DataFrame = field(repr=False)
    notes: tuple[str, ...] = ()
    estimand: str = "ATT"

    def balance(self, **kwargs: Any) -> BalanceTable:
        """Covariate balance before and after matching; see
        :func:`oncostat.matching.balance.balance_table`."""
        from oncostat.matching.balance import balance_table

        return balance_table(self, **kwargs)

    def plot(self, **kwargs: Any) -> Figure:
        """Love plot of :meth:`balance`; see :func:`oncostat.plot.love.love_plot`."""
        from oncostat.plot.love import love_plot

        return love_plot(self.balance(), **kwargs)

    def to_frame(self) -> pd.DataFrame:
        """Patients per arm before and after matching."""
        arms = [str(a) for a in self.arms]
        return pd.DataFrame({"arm": arms, "n_before": [self.n_before[a] for a in arms],
                             "n_matched": [self.n_matched[a] for a in arms]})

    def sets_list(self) -> list[dict[str, Any]]:
        """``[{set_id, focal, matches: {arm: [ids]}}]``, as in the JSON output."""
        members = self.sets[self.sets["arm"] != str(self.focal)]
        out: dict[int, dict[str, Any]] = {}
        for sid, foc in zip(self.sets["set_id"], self.sets["focal"], strict=True):
            out.setdefault(int(sid), {"set_id": int(sid), "focal": foc,
                                      "matches": {str(a): [] for a in self.arms[1:]}})
        for sid, arm, pid in zip(members["set_id"], members["arm"], members["id"],
                                 strict=True):
            out[int(sid)]["matches"][arm].append(pid)
        return list(out.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict; what ``oncostat match --json`` prints (``balance`` is added by
        the caller from :meth:`balance`)."""
        models = {k: m.to_dict() for k, m in self.ps_models.items()}
        return jsonable({
            "method": self.method, "treatment": self.treatment, "focal": str(self.focal),
            "ratio": self.ratio, "order": self.order, "replace": self.replace,
            "n_before": self.n_before, "n_matched": self.n_matched,
            "n_incomplete": self.n_incomplete, "unmatched_focal": list(self.unmatched_focal),
            "caliper": self.caliper,
            "ps_model": next(iter(models.values())) if len(models) == 1 else models,
            "sets": self.sets_list(), "notes": list(self.notes),
        })

    def __str__(self) -> str:
        how = {"nearest": "Greedy nearest-neighbour", "optimal": "Optimal",
               "vector": "Vector (generalised propensity score)"}[self.method]
        ratio = ":".join(["1", *(str(self.ratio[str(a)]) for a in self.arms[1:])])
        lines = [f"{how} matching {ratio}, {'with' if self.replace else 'without'} "
                 f"replacement, focal arm {str(self.focal)!r}"]
        if self.caliper is not None:
            c = self.caliper
            lines.append(f"  Caliper {c['sd_units']:g} SD of the {c['scale']} "
                         f"({c['sd']} SD)")
        lines.append("  " + "; ".join(f"{a}: {self.n_matched[a]} of {self.n_before[a]} matched"
                                      for a in map(str, self.arms)))
        if self.unmatched_focal:
            lines.append(f"  {len(self.unmatched_focal)} focal patients without a "
                         f"{'complete ' if len(self.arms) > 2 else ''}set")
        lines.extend(f"Note: {n}" for n in self.notes)
        return "\n".join(lines)


def _read_ratio(ratio: int | Mapping[str, int], arms: Arms | None) -> dict[str, int]:
    if isinstance(ratio, Mapping):
        out = {}
        for a, k in ratio.items():
            if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
                raise InputError(f"ratio: expected a whole number >= 1 for arm {a!r}, got {k!r}")
            out[str(a)] = int(k)
        return out
    if not isinstance(ratio, (int, np.integer)) or isinstance(ratio, bool) or ratio < 1:
        raise InputError(f"ratio: expected a whole number >= 1 or a dict arm -> number, "
                         f"got {ratio!r}")
    assert arms is not None
    return {str(a): int(ratio) for a in arms.names[1:]}


def match(
    data: pd.DataFrame,
    *,
    treatment: str,
    focal: object | None = None,
    covariates: Sequence[str],
    ratio: int | Mapping[str, int] = 1,
    caliper: float | None = 0.2,
    caliper_scale: CaliperScale = "logit",
    caliper_sd: CaliperSd = "all",
    order: MatchOrder = "largest",
    seed: int | None = None,
    replace: bool = False,
    exact: Sequence[str] | None = None,
    mahalanobis: Sequence[str] | None = None,
    method: MatchMethod = "nearest",
    keep_incomplete: bool = False,
    id: str | None = None,
    ps_method: PropensityMethod = "logistic",
    reference: Mapping[str, object] | None = None,
) -> MatchResult:
    """Propensity score matching [1]_ of the focal arm to one or more other arms.

    Parameters
    ----------
    data : DataFrame
        One row per patient; never modified.
    treatment : str
        Column naming each patient's arm.
    focal : optional
        The arm whose patients are matched (MatchIt's treated; the seed's HIFU). May be
        omitted when the arms are coded 0/1 (then 1).
    covariates : sequence of str
        Propensity model covariates; categorical ones expanded against ``reference``
        levels (see :func:`propensity_score`).
    ratio : int or dict of arm to int, default 1
        Matches per focal patient: ``2`` for 1:2 against every other arm, or per arm,
        ``{"BSC": 2, "PC": 2}`` for the seed's 1:2:2 (arms not listed are left out). Found
        in rounds, as MatchIt: every focal patient gets a first match before any gets a
        second.
    caliper : float or None, default 0.2
        Width in SD units of the distance (0.2 SD of the logit, as Austin recommends [3]_
        and the seed study used); ``None`` for no caliper. Inclusive.
    caliper_scale : {"logit", "ps"}, default "logit"
        Scale of the distance matched on and of the caliper: the logit of the propensity
        score (MatchIt's ``link = "linear.logit"``) or the score itself (``link =
        "logit"``, MatchIt's default). Probit models use the probit linear predictor for
        "logit".
    caliper_sd : {"all", "pooled"}, default "all"
        SD over all patients of the comparison (MatchIt's ``std.caliper = TRUE``), or the
        pooled within-arm SD ``sqrt((s1^2 + s0^2) / 2)`` (Austin [3]_).
    order : {"largest", "smallest", "data", "random"}, default "largest"
        Order in which focal patients choose (MatchIt's ``m.order``, whose default with a
        propensity score is "largest"); ties keep row order. "random" draws a permutation
        from ``seed`` (numpy's generator). Ignored with replacement.
    seed : int, optional
        For ``order="random"`` and the k-means step of vector matching.
    replace : bool, default False
        Match with replacement (a control may serve several focal patients).
    exact : sequence of str, optional
        Columns on which matched patients must agree exactly (within every combination).
    mahalanobis : sequence of str, optional
        Match on the Mahalanobis distance of these columns among controls within the
        propensity score caliper (MatchIt's ``mahvars``).
    method : {"nearest", "optimal", "vector"}, default "nearest"
        Greedy nearest neighbour (MatchIt [2]_); optimal, the minimum total distance
        (Hansen [5]_; 1:k as an assignment problem, no replacement); or, for three or more
        arms, vector matching on the generalised propensity score (Lopez & Gutman [4]_,
        always with replacement, caliper default 0.25 in their paper).
    keep_incomplete : bool, default False
        With three or more arms, keep focal patients that lack a match from some arm (and
        count them in ``n_incomplete``); by default their sets are dropped. A set is
        complete with at least one match from every arm (with two arms, every focal
        patient with a match is kept, as in MatchIt).
    id : str, optional
        Column of patient ids for ``sets`` (default a column named ``id``, else the row
        number from 1).
    ps_method : {"logistic", "probit", "l1", "l2"}, default "logistic"
        Propensity model of each comparison (:func:`propensity_score`).
    reference : dict, optional
        Reference levels of categorical covariates.

    Returns
    -------
    MatchResult

    What is estimated
    -----------------
    Matching focal patients keeps every matched focal patient and discards unmatched
    controls, so comparisons estimate the effect in the focal arm (the ATT), restricted to
    focal patients with matches when a caliper drops some. Pairwise multi-arm matching
    gives each comparison its own focal subpopulation unless incomplete sets are dropped
    (the default), which makes it common; vector matching targets the focal population
    with every comparison on the same GPS footing [4]_.

    Raises
    ------
    InputError
        Bad arguments or data: unknown columns or arms, an arm with no patients, a
        categorical covariate with one level, an unknown reference level, missing
        covariates, complete separation, a ratio below 1.

    Warns
    -----
    DegenerateDataWarning
        Nobody within the caliper for some or all focal patients; fewer controls than the
        ratio asks for.

    References
    ----------
    .. [1] Rosenbaum PR, Rubin DB. The central role of the propensity score in
           observational studies for causal effects. Biometrika. 1983;70:41-55.
    .. [2] Ho DE, Imai K, King G, Stuart EA. MatchIt: nonparametric preprocessing for
           parametric causal inference. J Stat Softw. 2011;42(8):1-28.
    .. [3] Austin PC. Optimal caliper widths for propensity-score matching when
           estimating differences in means and differences in proportions in
           observational studies. Pharm Stat. 2011;10:150-161.
    .. [4] Lopez MJ, Gutman R. Estimation of causal effects with multiple treatments: a
           review and new ideas. Stat Sci. 2017;32:432-454.
    .. [5] Hansen BB. Full matching in an observational study of coaching for the SAT.
           J Am Stat Assoc. 2004;99:609-618.
    """
    options = {"caliper_scale": (caliper_scale, ("logit", "ps")),
               "caliper_sd": (caliper_sd, ("all", "pooled")),
               "order": (order, ("largest", "smallest", "data", "random")),
               "method": (method, ("nearest", "optimal", "vector"))}
    for name, (value, allowed) in options.items():
        if value not in allowed:
            raise InputError(f"{name}: expected one of {', '.join(map(repr, allowed))}, "
                             f"got {value!r}")
    if caliper is not None and not (np.isfinite(caliper) and caliper > 0):
        raise InputError(f"caliper: expected a number > 0 (SD units) or None, got {caliper!r}")
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    frame = frame.reset_index(drop=True)       # a copy: the result never sees later edits
    ids = patient_ids(frame, id)
    arm_list = list(ratio) if isinstance(ratio, Mapping) else None
    arms = read_arms(frame, treatment, focal, ids, arm_list)
    ratios = _read_ratio(ratio, arms)
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    if method == "vector" and len(arms.names) < 3:
        raise InputError("method 'vector' is for three or more arms; use 'nearest' or "
                         "'optimal' for two")
    if method == "optimal" and replace:
        raise InputError("method 'optimal' matches without replacement; use replace=False")
    n_before = arms.counts()
    notes: list[str] = []
    rows_all = np.flatnonzero(arms.code >= 0)
    strata = _exact_codes(frame, exact) if exact else None
    models: dict[str, PropensityModel] = {}
    calipers: dict[str, float | None] = {}
    matches: list[np.ndarray] = []
    focal_rows = np.flatnonzero(arms.code == 0)
    ps_all = np.full(len(frame), np.nan)
    if method == "vector":
        model = _fit(frame, arms, arms.code[rows_all], rows_all, covariates, "logistic",
                     reference, ids)
        models["all"] = model
        gps = model.probabilities.to_numpy()[rows_all]
        mlist, _, absolute = vector_match(gps, arms.code[rows_all],
                                          [ratios[str(a)] for a in arms.names[1:]],
                                          caliper=caliper, seed=seed)
        for a, mm, cal in zip(arms.names[1:], mlist, absolute, strict=True):
            matches.append(np.where(mm >= 0, rows_all[np.maximum(mm, 0)], -1))
            calipers[str(a)] = cal
        ps_all[rows_all] = gps[:, 0]
        replace = True
    else:
        for j, a in enumerate(arms.names[1:], start=1):
            rows = np.flatnonzero((arms.code == 0) | (arms.code == j))
            sub = Arms(arms.column, (arms.focal, a), np.where(arms.code[rows] == 0, 0, 1))
            model = _fit(frame, sub, sub.code, rows, covariates, ps_method, reference, ids)
            models[str(a)] = model
            ps = model.scores.to_numpy()[rows]
            dist = ps if caliper_scale == "ps" else model.logit.to_numpy()[rows]
            treated = sub.code == 0
            cal = None
            if caliper is not None:
                cal = caliper * _sd(dist, treated, caliper_sd)
            calipers[str(a)] = cal
            st = None if strata is None else strata[rows]
            k = ratios[str(a)]
            _warn_short(treated, st, k, replace, str(a), notes)
            if mahalanobis:
                cov = np.column_stack([numeric_covariate(frame.iloc[rows], c, ids[rows])
                                       for c in mahalanobis])
                mm = mahalanobis_match(dist, treated, cov, ratio=k, caliper=cal, order=order,
                                       seed=seed, replace=replace, strata=st)
            elif method == "optimal":
                mm = optimal_match(dist, treated, ratio=k, caliper=cal, strata=st)
            else:
                mm = nearest_neighbour(dist, treated, ratio=k, caliper=cal, order=order,
                                       seed=seed, replace=replace, strata=st)
            matches.append(np.where(mm >= 0, rows[np.maximum(mm, 0)], -1))
            # A patient's score is that of its comparison (a focal patient's: the first).
            ps_all[rows[~treated]] = ps[~treated]
            if j == 1:
                ps_all[focal_rows] = ps[treated]
    return _assemble(frame, arms, ids, covariates, ratios, matches, models, calipers,
                     caliper, caliper_scale, caliper_sd, method, order, replace,
                     keep_incomplete, n_before, ps_all, notes)


def _fit(frame: pd.DataFrame, arms: Arms, code: np.ndarray, rows: np.ndarray,
         covariates: list[str], ps_method: PropensityMethod,
         reference: Mapping[str, object] | None, ids: np.ndarray) -> PropensityModel:
    """Propensity model of the patients ``rows`` (arm codes ``code``, 0 = focal)."""
    sub = frame if rows.size == len(frame) else frame.iloc[rows]
    terms = build_terms(sub, covariates, reference)
    x = terms.matrix(sub, labels=ids[rows])
    check_columns(x, terms.columns)
    return fit_model(x, code, arms, terms, ps_method, None, frame.index, rows)


def _sd(dist: np.ndarray, treated: np.ndarray, how: CaliperSd) -> float:
    if how == "all":
        return float(np.std(dist, ddof=1))
    return float(np.sqrt((np.var(dist[treated], ddof=1) + np.var(dist[~treated], ddof=1)) / 2))


def _exact_codes(frame: pd.DataFrame, exact: Sequence[str]) -> np.ndarray:
    exact = [exact] if isinstance(exact, str) else list(exact)
    require_columns(frame, exact)
    for c in exact:
        miss = frame[c].isna().to_numpy()
        if miss.any():
            i = int(np.flatnonzero(miss)[0])
            raise InputError(f"column {c!r}, {row_ref(i)}: expected a value for exact "
                             "matching, got an empty cell")
    return frame.groupby(exact, sort=True).ngroup().to_numpy(dtype=np.int64)


def _warn_short(treated: np.ndarray, strata: np.ndarray | None, k: int, replace: bool,
                arm: str, notes: list[str]) -> None:
    if replace:
        return
    n1, n0 = int(treated.sum()), int((~treated).sum())
    if n0 < k * n1:
        note = (f"arm {arm!r} has {n0} patients for {n1} focal patients at 1:{k}; not "
                f"every focal patient can get {k} matches")
        warnings.warn(note, DegenerateDataWarning, stacklevel=3)
        notes.append(note)


def _assemble(frame: pd.DataFrame, arms: Arms, ids: np.ndarray, covariates: list[str],
              ratios: dict[str, int], matches: list[np.ndarray],
              models: dict[str, PropensityModel], calipers: dict[str, float | None],
              caliper: float | None, scale: CaliperScale, sd: CaliperSd,
              method: MatchMethod, order: MatchOrder, replace: bool, keep_incomplete: bool,
              n_before: dict[str, int], ps_all: np.ndarray, notes: list[str]) -> MatchResult:
    focal_rows = np.flatnonzero(arms.code == 0)
    got = np.column_stack([(mm >= 0).any(axis=1) for mm in matches])
    complete = got.all(axis=1)
    if len(arms.names) > 2 and keep_incomplete:
        keep = got.any(axis=1)
    else:
        keep = complete if len(arms.names) > 2 else got[:, 0]
    n_incomplete = int((got.any(axis=1) & ~complete).sum())
    unmatched = tuple(ids[focal_rows[~keep]].tolist())
    if not keep.any():
        note = ("no focal patient has a match within the caliper; the matched data are "
                "empty (widen the caliper or check the overlap of the propensity scores)")
        warnings.warn(note, DegenerateDataWarning, stacklevel=3)
        notes.append(note)
    elif unmatched:
        what = "complete set" if len(arms.names) > 2 else "match"
        note = (f"{len(unmatched)} of {focal_rows.size} focal patients have no {what}"
                f"{' within the caliper' if caliper is not None else ''} and are dropped")
        warnings.warn(note, DegenerateDataWarning, stacklevel=3)
        notes.append(note)
    kept = np.flatnonzero(keep)
    set_id = np.arange(1, kept.size + 1)
    member_rows = [focal_rows[kept]]
    member_set = [set_id]
    member_w = [np.ones(kept.size)]
    n_matched = {str(arms.focal): int(kept.size)}
    for a, mm in zip(arms.names[1:], matches, strict=True):
        sub = mm[kept]
        m = (sub >= 0).sum(axis=1)
        r, c = np.nonzero(sub >= 0)
        rows = sub[r, c]
        # MatchIt's ATT weights: a control gets 1/m from each set it is in (m = matches of
        # this arm in the set), then the arm is rescaled to sum to its distinct patients.
        w = 1.0 / m[r]
        seen = np.zeros(len(frame), dtype=bool)
        seen[rows] = True
        distinct = int(seen.sum())
        if w.size:
            w *= distinct / w.sum()
        member_rows.append(rows)
        member_set.append(set_id[r])
        member_w.append(w)
        n_matched[str(a)] = int(distinct)
    rows = np.concatenate(member_rows)
    sid = np.concatenate(member_set)
    order_ = np.lexsort((arms.code[rows], sid))
    rows, sid = rows[order_], sid[order_]
    weight = np.concatenate(member_w)[order_]
    matched = frame.take(rows)
    matched.index = pd.RangeIndex(rows.size)
    matched["set_id"] = sid
    matched["weight"] = weight
    matched["ps"] = ps_all[rows]
    with np.errstate(divide="ignore"):
        matched["logit"] = special.logit(ps_all[rows])
    focal_of_set = ids[focal_rows[kept]]
    sets = pd.DataFrame({"set_id": sid, "focal": focal_of_set[sid - 1],
                         "arm": np.array([str(a) for a in arms.names],
                                         dtype=object)[arms.code[rows]],
                         "id": ids[rows]})
    cal = None
    if caliper is not None:
        absolute: Any = calipers
        if len(calipers) == 1:
            absolute = next(iter(calipers.values()))
        cal = {"sd_units": caliper, "absolute": absolute, "scale": scale, "sd": sd}
    return MatchResult(
        method=method, treatment=arms.column, focal=arms.focal, arms=arms.names,
        covariates=tuple(covariates), ratio=ratios, order=order, replace=replace,
        n_before=n_before, n_matched=n_matched, caliper=cal, unmatched_focal=unmatched,
        n_incomplete=n_incomplete, ps_models=models, matched=matched,
        sets=sets, data=frame, notes=tuple(notes))
