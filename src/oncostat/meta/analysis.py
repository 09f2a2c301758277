"""One pooled meta-analysis: :func:`meta_analysis` and its result, :class:`PooledEstimate`.

Two conventions are available, and the result records which was used:

* ``revman=True`` (the default for Mantel-Haenszel) reproduces Review Manager 5 [1]_:
  0.5 is added to all cells of studies with a zero cell, also in the M-H pooling;
  double-zero studies are left out for OR and RR and kept for RD; the M-H risk difference
  uses the Greenland-Robins variance; random effects are DerSimonian-Laird with Q taken
  around the M-H estimate; SMD is Hedges' g with RevMan's approximate correction; I² is
  always ``(Q - df) / Q``; no prediction interval is reported by RevMan 5 but oncostat gives
  metafor's.
* ``revman=False`` reproduces metafor [2]_: ``rma.mh`` pools raw counts (no correction)
  and uses the Sato-Greenland-Robins RD variance; ``rma.uni`` adds 0.5 to studies with a
  zero cell and keeps double-zero studies for the inverse-variance methods; SMD uses the
  exact correction; I² for random-effects models is ``tau² / (tau² + s²)``.

References
----------
.. [1] Deeks JJ, Higgins JPT. Statistical algorithms in Review Manager 5. 2010.
.. [2] Viechtbauer W. Conducting meta-analyses in R with the metafor package.
       J Stat Softw. 2010;36(3):1-48.
.. [3] Hartung J, Knapp G. A refined method for the meta-analysis of controlled clinical
       trials with binary outcome. Stat Med. 2001;20:3875-3889.
.. [4] Higgins JPT, Thompson SG, Spiegelhalter DJ. A re-evaluation of random-effects
       meta-analysis. J R Stat Soc A. 2009;172:137-159.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from oncostat._results import ResultMixin, format_p, jsonable
from oncostat.errors import DegenerateDataWarning, InputError
from oncostat.meta import pooling
from oncostat.meta.effect_sizes import (
    binary_effect,
    continuous_effect,
    peto_effect,
    zero_cell_correction,
)
from oncostat.meta.heterogeneity import (
    Heterogeneity,
    higgins_thompson_ci,
    i2_from_q,
    q_pvalue,
    typical_variance,
)
from oncostat.meta.studies import MEASURE_KIND, Columns, Measure, StudyData, read_studies
from oncostat.meta.tau2 import (
    TAU2_METHODS,
    Tau2Method,
    dersimonian_laird,
    estimate_tau2,
    q_profile_ci,
)

__all__ = ["MetaSpec", "PooledEstimate", "fit", "meta_analysis", "prepare"]

Method = Literal["MH", "Peto", "IV"]
Model = Literal["fixed", "random"]

MEASURE_NAMES = {"OR": "odds ratio", "RR": "risk ratio", "RD": "risk difference",
                 "MD": "mean difference", "SMD": "standardised mean difference",
                 "GEN": "effect"}
METHOD_NAMES = {"MH": "Mantel-Haenszel", "Peto": "Peto", "IV": "Inverse-variance"}


@dataclass(frozen=True, slots=True)
class MetaSpec:
    """The validated options of an analysis (everything but the data)."""

    measure: Measure = "OR"
    method: Method = "MH"
    model: Model = "fixed"
    tau2_method: Tau2Method = "DL"
    hakn: bool = False
    revman: bool = True
    ratio: bool = False
    add: float = 0.5
    confidence_level: float = 0.95

    @property
    def is_ratio(self) -> bool:
        return self.measure in ("OR", "RR") or (self.measure == "GEN" and self.ratio)

    @classmethod
    def build(cls, *, measure: str, method: str, model: str, tau2_method: str, hakn: bool,
              revman: bool | None, ratio: bool, add: float, confidence_level: float
              ) -> MetaSpec:
        """Check option values and combinations; ``revman=None`` means True for M-H."""
        _one_of("measure", measure, tuple(MEASURE_KIND))
        _one_of("method", method, ("MH", "Peto", "IV"))
        _one_of("model", model, ("fixed", "random"))
        _one_of("tau2_method", tau2_method, TAU2_METHODS)
        kind = MEASURE_KIND[measure]
        if method in ("MH", "Peto") and kind != "binary":
            raise InputError(f"method {method!r} needs a binary measure (OR, RR, RD); "
                             f"use method='IV' for {measure}")
        if method == "Peto" and measure != "OR":
            raise InputError(f"method 'Peto' estimates an odds ratio; got measure {measure!r}")
        if method == "Peto" and model == "random":
            raise InputError("method 'Peto' is fixed-effect only (as in RevMan and metafor); "
                             "use method='MH' or 'IV' for a random-effects model")
        if hakn and model != "random":
            raise InputError("hakn=True (Hartung-Knapp) applies to model='random' only")
        if not 0 < confidence_level < 1:
            raise InputError(f"confidence_level: expected a number between 0 and 1, "
                             f"got {confidence_level}")
        if add < 0:
            raise InputError(f"add: expected a zero-cell increment >= 0, got {add}")
        if revman is None:
            revman = method == "MH"
        return cls(measure, method, model, tau2_method, hakn, revman, ratio, add,  # type: ignore[arg-type]
                   confidence_level)


def _one_of(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InputError(f"{name}: expected one of {', '.join(allowed)}, got {value!r}")


@dataclass(frozen=True, slots=True)
class PooledEstimate(ResultMixin):
    """Result of :func:`meta_analysis`; see its docstring.

    ``estimate``, ``ci_low``, ``ci_high`` and the prediction interval are on the ratio
    scale for ratio measures; ``log_estimate`` and ``se`` on the analysis (log) scale.
    ``studies`` has one row per study in input order: ``study``, ``yi``, ``vi``, ``se``,
    ``estimate``, ``ci_low``, ``ci_high`` (display scale), ``weight`` (percent) and
    ``included``, plus the arm-level columns and any extra input columns.
    """

    spec: MetaSpec
    k: int
    estimate: float
    ci_low: float
    ci_high: float
    log_estimate: float
    se: float
    statistic: float
    pvalue: float
    df: float
    pi_low: float
    pi_high: float
    heterogeneity: Heterogeneity
    studies: pd.DataFrame = field(repr=False)
    kind: str = "binary"
    notes: tuple[str, ...] = ()

    measure = property(lambda self: self.spec.measure)
    method = property(lambda self: self.spec.method)
    model = property(lambda self: self.spec.model)
    confidence_level = property(lambda self: self.spec.confidence_level)

    @property
    def is_ratio(self) -> bool:
        return self.spec.is_ratio

    @property
    def label(self) -> str:
        """``M-H, Random, 95% CI``-style label, as RevMan heads its columns."""
        s = self.spec
        method = {"MH": "M-H", "Peto": "Peto", "IV": "IV"}[s.method]
        extra = f" ({s.tau2_method}{', HK' if s.hakn else ''})" if s.model == "random" else ""
        return (f"{method}, {s.model.capitalize()}{extra}, "
                f"{100 * s.confidence_level:g}% CI")

    def title(self) -> str:
        s = self.spec
        name = MEASURE_NAMES[s.measure] if not (s.measure == "GEN" and s.ratio) else "ratio"
        model = "fixed effect" if s.model == "fixed" else f"random effects, tau² by {s.tau2_method}"
        if s.hakn:
            model += ", Hartung-Knapp"
        return f"{METHOD_NAMES[s.method]} {name}, {model} (k = {self.k})"

    def __str__(self) -> str:
        s = self.spec
        pct = f"{100 * s.confidence_level:g}%"
        stat = f"t({self.df:g})" if s.hakn else "z"
        lines = [
            self.title(),
            f"  {s.measure} {self.estimate:.2f} ({pct} CI {self.ci_low:.2f} to "
            f"{self.ci_high:.2f}), "
            f"{stat} = {self.statistic:.2f}, {format_p(self.pvalue)}",
        ]
        if s.model == "random" and math.isfinite(self.pi_low):
            lines.append(f"  Prediction interval {self.pi_low:.2f} to {self.pi_high:.2f}")
        lines.append("  " + str(self.heterogeneity))
        lines.extend(f"  Note: {n}" for n in self.notes)
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """Per-study rows and the pooled row, at full precision."""
        cols = ["study", "estimate", "ci_low", "ci_high", "weight", "yi", "vi", "included"]
        rows = self.studies[cols].copy()
        pooled = pd.DataFrame([{
            "study": f"Total ({self.label})", "estimate": self.estimate, "ci_low": self.ci_low,
            "ci_high": self.ci_high, "weight": 100.0 * (self.k > 0), "yi": self.log_estimate,
            "vi": self.se**2, "included": True}])
        return pd.concat([rows, pooled], ignore_index=True)

    def to_dict(self) -> dict[str, Any]:
        s = self.spec
        out: dict[str, Any] = {
            "measure": s.measure, "method": s.method, "model": s.model,
            "tau2_method": s.tau2_method if s.model == "random" else None,
            "hakn": s.hakn, "revman": s.revman, "confidence_level": s.confidence_level,
            "k": self.k, "estimate": self.estimate, "ci_low": self.ci_low,
            "ci_high": self.ci_high, "se": self.se,
            "z" if not s.hakn else "t": self.statistic, "p": self.pvalue,
        }
        if s.hakn:
            out["df"] = self.df
        if self.is_ratio:
            out["log_estimate"] = self.log_estimate
        out["heterogeneity"] = self.heterogeneity.to_dict()
        out["prediction_interval"] = ([self.pi_low, self.pi_high] if s.model == "random"
                                      else None)
        out["studies"] = self.studies[["study", "estimate", "ci_low", "ci_high", "weight",
                                       "included"]]
        out["notes"] = list(self.notes)
        return jsonable(out)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Forest plot; see :func:`oncostat.plot.forest.forest`."""
        from oncostat.plot.forest import forest

        return forest(self, ax=ax, **kwargs)


def meta_analysis(
    data: pd.DataFrame,
    *,
    measure: Measure = "OR",
    method: Method = "MH",
    model: Model = "fixed",
    tau2_method: Tau2Method = "DL",
    hakn: bool = False,
    revman: bool | None = None,
    ratio: bool = False,
    add: float = 0.5,
    confidence_level: float = 0.95,
    **columns: str,
) -> PooledEstimate:
    """Pool study results into one estimate, fixed or random effects.

    Parameters
    ----------
    data : DataFrame
        One row per study. Binary measures need events and totals per arm, continuous
        ones mean, SD and n per arm, ``"GEN"`` an estimate with its SE (``yi``, ``sei``)
        or with a CI (``estimate``, ``ci_low``, ``ci_high``).
    measure : {"OR", "RR", "RD", "MD", "SMD", "GEN"}
        ``measure`` in metafor's ``escalc``; SMD is Hedges' g.
    method : {"MH", "Peto", "IV"}
        Mantel-Haenszel, Peto or inverse-variance pooling (``rma.mh``, ``rma.peto``,
        ``rma.uni``).
    model : {"fixed", "random"}
        Random effects weight studies by ``1 / (v_i + tau²)``.
    tau2_method : {"DL", "REML", "ML", "PM", "SJ", "HE", "HS", "EB"}
        Estimator of tau² (``method`` in ``rma.uni``).
    hakn : bool
        Hartung-Knapp-Sidik-Jonkman SE with a t distribution on k - 1 df [3]_
        (``test="knha"``); also widens the prediction interval's quantile.
    revman : bool, optional
        Follow RevMan 5 (True) or metafor (False); default True for M-H, else False.
        See the module docstring for every difference.
    ratio : bool
        For ``"GEN"``: the estimates are ratios (given as log ratios with ``yi``/``sei``,
        or on the ratio scale with ``estimate``/``ci_low``/``ci_high``).
    add : float
        Increment added to all cells of studies with a zero cell (``add`` in metafor).
    confidence_level : float
        Level of every interval.
    **columns
        Column names when they differ from the conventional ones, e.g.
        ``events_treat="tpos"`` (see :class:`oncostat.meta.studies.Columns`).

    Returns
    -------
    PooledEstimate

    Notes
    -----
    The prediction interval is metafor's, ``mu ± q * sqrt(se² + tau²)`` with q from the
    normal distribution (t with k - 1 df under Hartung-Knapp); Higgins et al. [4]_ suggest
    t with k - 2 df.

    Examples
    --------
    BCG vaccine trials (Colditz et al., JAMA 1994), as in metafor's ``dat.bcg``:

    >>> import pandas as pd
    >>> bcg = pd.DataFrame({
    ...     "study": ["Aronson", "Ferguson", "Rosenthal", "Hart", "Frimodt-Moller",
    ...               "Stein", "Vandiviere", "TPT Madras", "Coetzee", "Rosenthal 2",
    ...               "Comstock", "Comstock 2", "Comstock 3"],
    ...     "events_treat": [4, 6, 3, 62, 33, 180, 8, 505, 29, 17, 186, 5, 27],
    ...     "total_treat": [123, 306, 231, 13598, 5069, 1541, 2545, 88391, 7499, 1716,
    ...                     50634, 2498, 16913],
    ...     "events_ctrl": [11, 29, 11, 248, 47, 372, 10, 499, 45, 65, 141, 3, 29],
    ...     "total_ctrl": [139, 303, 220, 12867, 5808, 1451, 629, 88391, 7277, 1665,
    ...                    27338, 2341, 17854]})
    >>> res = meta_analysis(bcg, measure="RR", method="IV", model="random",
    ...                     tau2_method="REML")
    >>> print(f"{res.log_estimate:.4f} {res.heterogeneity.tau2:.4f}")
    -0.7145 0.3132
    """
    return fit(*prepare(data, measure=measure, method=method, model=model,
                        tau2_method=tau2_method, hakn=hakn, revman=revman, ratio=ratio,
                        add=add, confidence_level=confidence_level, **columns))


_OPTION_DEFAULTS: dict[str, Any] = {"measure": "OR", "method": "MH", "model": "fixed",
                                    "tau2_method": "DL", "hakn": False, "revman": None,
                                    "ratio": False, "add": 0.5, "confidence_level": 0.95}


def prepare(data: pd.DataFrame, **options: Any) -> tuple[StudyData, MetaSpec]:
    """Split ``options`` into analysis options and column names, check both, read the data.

    Every wrapper (subgroups, leave-one-out, ...) takes :func:`meta_analysis`'s keywords
    through this function.
    """
    columns = {k: options.pop(k) for k in list(options) if k in Columns.__slots__}
    unknown = sorted(set(options) - set(_OPTION_DEFAULTS))
    if unknown:
        raise InputError(f"unknown argument {unknown[0]!r}; expected analysis options "
                         f"({', '.join(_OPTION_DEFAULTS)}) or column names "
                         f"({', '.join(Columns.__slots__)})")
    spec = MetaSpec.build(**{**_OPTION_DEFAULTS, **options})
    studies = read_studies(data, measure=spec.measure, columns=Columns(**columns),
                           ratio=spec.ratio)
    return studies, spec


@dataclass(frozen=True, slots=True)
class _StudyEffects:
    """Per-study estimates, which studies enter, and the notes explaining exclusions."""

    yi: np.ndarray
    vi: np.ndarray
    included: np.ndarray
    notes: tuple[str, ...]


def _study_effects(studies: StudyData, spec: MetaSpec) -> _StudyEffects:
    notes: list[str] = []
    included = np.ones(studies.k, dtype=bool)
    if studies.kind == "binary":
        table = studies.binary
        assert table is not None
        drop00 = spec.measure in ("OR", "RR") and (spec.revman or spec.method != "IV")
        dz = (table.double_zero() if drop00 or spec.method == "Peto"
              else np.zeros_like(included))
        if spec.method == "Peto":
            # The pooling always uses raw counts; the study-level estimates shown follow
            # rma.peto (0.5 added to zero-cell studies) unless RevMan's convention is asked.
            shown = table if spec.revman else zero_cell_correction(table, add=spec.add,
                                                                     to="only0")
            yi, vi, _, _ = peto_effect(shown)
        else:
            corrected = zero_cell_correction(table, add=spec.add, to="only0")
            yi, vi = binary_effect(corrected, spec.measure)  # type: ignore[arg-type]
            n_zero = int((table.has_zero() & ~dz).sum()) if spec.add else 0
            if n_zero:
                notes.append(f"{spec.add:g} added to all cells of {n_zero} "
                             f"{'study' if n_zero == 1 else 'studies'} with a zero cell")
        if dz.any():
            included &= ~dz
            names = ", ".join(repr(str(x)) for x in studies.labels[dz])
            notes.append(f"{int(dz.sum())} double-zero "
                         f"{'study' if dz.sum() == 1 else 'studies'} left out ({names}): "
                         f"no events or only events in both arms carry no information "
                         f"on the {spec.measure}")
    elif studies.kind == "continuous":
        assert studies.continuous is not None
        yi, vi = continuous_effect(studies.continuous, spec.measure,  # type: ignore[arg-type]
                                   revman=spec.revman)
    else:
        assert studies.yi is not None and studies.vi is not None
        yi, vi = studies.yi, studies.vi
    # Studies whose estimate stays undefined (only possible without a zero-cell increment).
    undefined = included & ~(np.isfinite(yi) & np.isfinite(vi) & (vi > 0))
    if undefined.any() and spec.method == "IV":
        included &= ~undefined
        names = ", ".join(repr(str(x)) for x in studies.labels[undefined])
        notes.append(f"{int(undefined.sum())} studies with an undefined estimate left out "
                     f"({names})")
    return _StudyEffects(yi, vi, included, tuple(notes))


def fit(studies: StudyData, spec: MetaSpec) -> PooledEstimate:
    """Fit one analysis of ``studies`` as ``spec`` says (the engine behind every wrapper)."""
    eff = _study_effects(studies, spec)
    for note in eff.notes:
        warnings.warn(note, DegenerateDataWarning, stacklevel=3)
    inc = eff.included
    k = int(inc.sum())
    if k == 0:
        raise InputError("no study left to pool: " + "; ".join(eff.notes or ("empty table",)))
    yi, vi = eff.yi[inc], eff.vi[inc]
    notes = list(eff.notes)

    # Fixed-effect stage: the method's own estimate and Q.
    if spec.method == "MH":
        table = studies.binary.subset(inc)  # type: ignore[union-attr]
        pool_table = (zero_cell_correction(table, add=spec.add, to="only0") if spec.revman
                      else table)
        fixed = pooling.mantel_haenszel(pool_table, spec.measure,  # type: ignore[arg-type]
                                        rd_variance="GR" if spec.revman else "SGR")
        has_y = np.isfinite(yi)
        if not spec.revman:
            # rma.mh computes Q from escalc(drop00=TRUE): double-zero studies enter the
            # M-H risk difference but not Q.
            has_y &= ~table.double_zero()
        q = float(np.sum((yi[has_y] - fixed.estimate) ** 2 / vi[has_y])) if has_y.any() else 0.0
        q_df = int(has_y.sum()) - 1
    elif spec.method == "Peto":
        _, _, o_e, v = peto_effect(studies.binary.subset(inc))  # type: ignore[union-attr]
        fixed = pooling.peto(o_e, v)
        q = float(np.sum(o_e**2 / v) - o_e.sum() ** 2 / v.sum())
        q_df = k - 1
    else:
        fixed = pooling.inverse_variance(yi, vi)
        q = float(np.dot(fixed.weights, (yi - fixed.estimate) ** 2))
        q_df = k - 1
    # One study has no heterogeneity to measure; rounding must not make Q positive.
    q = max(q, 0.0) if q_df >= 1 else 0.0

    if spec.model == "fixed" or k == 1:
        if spec.model == "random":
            if spec.hakn:
                raise InputError("Hartung-Knapp needs at least two studies; got one")
            notes.append("one study: the random-effects model reduces to that study (tau² = 0)")
            warnings.warn(notes[-1], DegenerateDataWarning, stacklevel=2)
        est, se, weights = fixed.estimate, fixed.se, fixed.weights
        crit = stats.norm.ppf(0.5 + spec.confidence_level / 2)
        statistic = est / se if se > 0 else math.nan
        pvalue = 2 * stats.norm.sf(abs(statistic)) if math.isfinite(statistic) else math.nan
        df = math.nan
        tau2 = 0.0 if spec.model == "random" else math.nan
        # One study under random effects: tau² = 0, so the prediction interval is the CI.
        pi = (est - crit * se, est + crit * se) if spec.model == "random" else (math.nan,) * 2
        het = _heterogeneity(q, q_df, tau2, yi, vi, spec, random=False)
    else:
        if spec.method == "MH" and spec.tau2_method == "DL":
            # RevMan: DerSimonian-Laird with the Q computed around the M-H estimate.
            tau2 = dersimonian_laird(yi, vi, q=q)
        else:
            tau2 = estimate_tau2(yi, vi, spec.tau2_method)
        w = 1.0 / (vi + tau2)
        sw = w.sum()
        est = float(np.dot(w, yi) / sw)
        weights = w
        if spec.hakn:
            se = math.sqrt(float(np.dot(w, (yi - est) ** 2)) / ((k - 1) * sw))
            df = float(k - 1)
            crit = stats.t.ppf(0.5 + spec.confidence_level / 2, df)
            statistic = est / se if se > 0 else math.nan
            pvalue = 2 * stats.t.sf(abs(statistic), df) if math.isfinite(statistic) else math.nan
        else:
            se = math.sqrt(1.0 / sw)
            df = math.nan
            crit = stats.norm.ppf(0.5 + spec.confidence_level / 2)
            statistic = est / se
            pvalue = 2 * stats.norm.sf(abs(statistic))
        half = crit * math.sqrt(se**2 + tau2)
        pi = (est - half, est + half)
        het = _heterogeneity(q, q_df, tau2, yi, vi, spec, random=True)

    ci = (est - crit * se, est + crit * se)
    back = np.exp if spec.is_ratio else (lambda x: x)
    frame = _study_frame(studies, eff, weights, spec)
    return PooledEstimate(
        spec=spec, k=k, estimate=float(back(est)), ci_low=float(back(ci[0])),
        ci_high=float(back(ci[1])), log_estimate=float(est), se=float(se),
        statistic=float(statistic), pvalue=float(pvalue), df=df,
        pi_low=float(back(pi[0])), pi_high=float(back(pi[1])), heterogeneity=het,
        studies=frame, kind=studies.kind, notes=tuple(notes))


def _heterogeneity(q: float, df: int, tau2: float, yi: np.ndarray, vi: np.ndarray,
                   spec: MetaSpec, *, random: bool) -> Heterogeneity:
    nan = math.nan
    if df < 1:
        return Heterogeneity(q, max(df, 0), nan, nan, nan, tau2, nan, nan, nan, nan, "none")
    p = q_pvalue(q, df)
    tau2_ci = (nan, nan)
    if random and len(yi) >= 2:
        tau2_ci = q_profile_ci(yi, vi, confidence_level=spec.confidence_level)
    if random and not spec.revman:
        s2 = typical_variance(vi)
        i2 = tau2 / (tau2 + s2)
        h2 = tau2 / s2 + 1
        i2_ci = (tau2_ci[0] / (tau2_ci[0] + s2), tau2_ci[1] / (tau2_ci[1] + s2))
        method = "Q-profile"
    else:
        i2 = i2_from_q(q, df)
        h2 = q / df
        i2_ci = higgins_thompson_ci(q, df + 1, confidence_level=spec.confidence_level)
        method = "Higgins-Thompson"
    return Heterogeneity(q, df, p, i2, h2, tau2, tau2_ci[0], tau2_ci[1], i2_ci[0], i2_ci[1],
                         method)


def _study_frame(studies: StudyData, eff: _StudyEffects, weights: np.ndarray,
                 spec: MetaSpec) -> pd.DataFrame:
    crit = stats.norm.ppf(0.5 + spec.confidence_level / 2)
    se = np.sqrt(eff.vi)
    back = np.exp if spec.is_ratio else (lambda x: x)
    w = np.zeros(studies.k)
    total = weights.sum()
    w[eff.included] = 100.0 * weights / total if total > 0 else np.nan
    columns: dict[str, Any] = {c: studies.frame[c].to_numpy() for c in studies.frame.columns}
    with np.errstate(invalid="ignore", over="ignore"):
        columns.update(yi=eff.yi, vi=eff.vi, se=se, estimate=back(eff.yi),
                       ci_low=back(eff.yi - crit * se), ci_high=back(eff.yi + crit * se),
                       weight=w, included=eff.included)
    return pd.DataFrame(columns, copy=False)


