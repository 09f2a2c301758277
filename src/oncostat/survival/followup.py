"""Median follow-up by the reverse Kaplan-Meier method.

Censoring is treated as the event and death as censoring, so the estimate is the median
time patients would have been followed had they not died [1]_. The plain median of the
observed times (deaths and censorings together) is reported beside it, labelled as what it
is -- the median of the observed follow-up times -- and never as median survival.

References
----------
.. [1] Schemper M, Smith TL. A note on quantifying follow-up in studies of failure time.
       Control Clin Trials. 1996;17:343-346.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from oncostat._results import ResultMixin, jsonable
from oncostat.errors import DegenerateDataWarning
from oncostat.survival._data import SurvivalData, survival_data
from oncostat.survival.kaplan_meier import ConfType, km_from_data

__all__ = ["FollowUpResult", "median_followup"]


@dataclass(frozen=True, slots=True)
class FollowUpResult(ResultMixin):
    """Result of :func:`median_followup`.

    ``table`` has one row per group plus ``"all"`` (when grouped): ``group``, ``n``,
    ``median`` (reverse Kaplan-Meier), ``ci_low``, ``ci_high``, ``observed_median`` (median
    of the observed times, deaths included), ``min`` and ``max``.
    """

    confidence_level: float
    table: pd.DataFrame = field(repr=False)

    def __str__(self) -> str:
        lines = ["Median follow-up (reverse Kaplan-Meier)"]
        for r in self.table.itertuples(index=False):
            med = "not reached" if math.isnan(r.median) else f"{r.median:.3g}"
            ci = ("" if math.isnan(r.median) else
                  f" ({100 * self.confidence_level:g}% CI {_f(r.ci_low)} to {_f(r.ci_high)})")
            lines.append(f"  {r.group!s}: {med}{ci}; median follow-up time of the observed "
                         f"times {r.observed_median:.3g} (range {r.min:.3g} to {r.max:.3g}), "
                         f"n = {r.n}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"method": "reverse Kaplan-Meier",
                         "confidence_level": self.confidence_level, "groups": self.table})


def _f(v: float) -> str:
    return "NA" if math.isnan(v) else f"{v:.3g}"


def _rows(sd: SurvivalData, conf_type: str, confidence_level: float) -> list[dict[str, Any]]:
    reverse = SurvivalData(sd.time, (1 - sd.event).astype(np.int8), sd.group, sd.group_labels,
                           sd.strata, sd.strata_labels, sd.group_name)
    km = km_from_data(reverse, conf_type=conf_type, confidence_level=confidence_level,
                      warn_not_reached=False)
    rows = []
    for g, m in enumerate(km.medians.itertuples(index=False)):
        t = sd.time[sd.group == g]
        rows.append({"group": m.group, "n": len(t), "median": m.median, "ci_low": m.ci_low,
                     "ci_high": m.ci_high, "observed_median": float(np.median(t)),
                     "min": float(t.min()), "max": float(t.max())})
        if math.isnan(m.median):
            warnings.warn(f"{'group ' + repr(str(m.group)) if sd.group_name else 'follow-up'}: "
                          "fewer than half of the patients are censored before the last death, "
                          "so the reverse Kaplan-Meier median is not reached (NaN)",
                          DegenerateDataWarning, stacklevel=4)
    return rows


def median_followup(
    data: pd.DataFrame | Mapping[str, object],
    *,
    time: str,
    event: str,
    group: str | None = None,
    conf_type: ConfType = "log",
    confidence_level: float = 0.95,
    event_codes: Mapping[object, int] | None = None,
    id: str | None = None,
) -> FollowUpResult:
    """Median follow-up by reverse Kaplan-Meier [1]_, per group and overall.

    Equivalent to R's ``survfit(Surv(time, 1 - event) ~ group)`` and its median
    (``quantile(fit, 0.5)``, with the ``conf.type`` interval).

    Parameters
    ----------
    time, event, group, conf_type, confidence_level, event_codes, id
        As :func:`oncostat.survival.kaplan_meier`; ``event`` is the survival event
        (the reversal is done here).

    Warns
    -----
    DegenerateDataWarning
        The reverse curve never reaches 0.5 (median reported as NaN).

    References
    ----------
    .. [1] Schemper M, Smith TL. Control Clin Trials. 1996;17:343-346.
    """
    sd = survival_data(data, time=time, event=event, group=group, event_codes=event_codes, id=id)
    rows = []
    if group is not None:
        pooled = SurvivalData(sd.time, sd.event, np.zeros(sd.n, dtype=np.intp), ("all",),
                              sd.strata, sd.strata_labels)
        rows = _rows(sd, conf_type, confidence_level)
        rows += _rows(pooled, conf_type, confidence_level)
    else:
        rows = _rows(sd, conf_type, confidence_level)
    return FollowUpResult(confidence_level, pd.DataFrame(rows))
