"""Propensity score matching speed: oncostat against scikit-learn, psmpy and R's MatchIt.

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_matching``. Seeded
cohorts with 10 covariates and about 20% treated at 10^4, 10^5 and 10^6 patients; 1:1
nearest-neighbour matching on the logit with a caliper of 0.2 SD. Times (best of repeats):

* oncostat: the propensity model fit, the matching step alone (``nearest_neighbour`` on the
  logit) and the whole ``match()``; and 1:2:2 matching of three arms.
* scikit-learn: ``LogisticRegression`` then ``NearestNeighbors`` on the logit (the usual
  hand-made pipeline: nearest control of each treated patient, caliper applied afterwards,
  so with replacement).
* psmpy: ``PsmPy.logistic_ps`` + ``kdtree_matched`` (10^4 only: its older ``knn_matched``
  ran out of memory at 10^5, and version 0.3.16 already takes about 20 s at 10^4).
* MatchIt (when ``Rscript`` is installed): ``matchit(method = "nearest", link =
  "linear.logit", caliper = 0.2)`` timed inside R (10^4 and 10^5; 10^6 takes minutes).

The ratios are the other tool's time over oncostat's whole ``match()``. The last column is
the peak memory that ``match()`` allocates (``tracemalloc``, which numpy reports to), per
patient: flat across sizes when memory is linear in n.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from oncostat.errors import DegenerateDataWarning
from oncostat.matching import match, nearest_neighbour, propensity_score

P = 10
COVS = [f"x{j}" for j in range(P)]


def make_data(n: int, seed: int = 20240501, arms: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, P))
    beta = np.linspace(-0.4, 0.4, P)
    data = pd.DataFrame(x, columns=COVS)
    if arms == 2:
        data["treat"] = (rng.random(n) < 1 / (1 + np.exp(-(-1.4 + x @ beta)))).astype(int)
    else:
        u = rng.random(n)
        p_focal = 1 / (1 + np.exp(-(-1.9 + x @ beta)))
        data["arm"] = np.where(u < p_focal, "HIFU", np.where(rng.random(n) < 0.5, "BSC", "PC"))
    return data


def best_of(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def sklearn_match(data: pd.DataFrame) -> int:
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import NearestNeighbors

    x = data[COVS].to_numpy()
    t = data["treat"].to_numpy() == 1
    fit = LogisticRegression(C=np.inf, max_iter=1000).fit(x, t)
    lg = fit.decision_function(x)
    cal = 0.2 * lg.std(ddof=1)
    nn = NearestNeighbors(n_neighbors=1).fit(lg[~t, None])
    d, _ = nn.kneighbors(lg[t, None])
    return int((d[:, 0] <= cal).sum())


def psmpy_match(data: pd.DataFrame) -> int:
    from psmpy import PsmPy

    df = data.assign(pid=np.arange(len(data)))
    psm = PsmPy(df, treatment="treat", indx="pid", exclude=[])
    psm.logistic_ps(balance=False)
    psm.kdtree_matched(matcher="propensity_logit", replacement=False, caliper=0.2)
    return len(psm.matched_ids)


def matchit_seconds(data: pd.DataFrame) -> float | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cohort.csv"
        data.to_csv(path, index=False)
        script = (
            "suppressPackageStartupMessages(library(MatchIt));"
            f"d <- read.csv('{path}');"
            "f <- reformulate(paste0('x', 0:9), 'treat');"
            "t <- system.time(matchit(f, data = d, method = 'nearest', distance = 'glm',"
            " link = 'linear.logit', caliper = 0.2))[['elapsed']];"
            "cat(t)")
        out = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True,
                             check=False)
    try:
        return float(out.stdout.strip())
    except ValueError:
        return None


def peak_bytes(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _ratio(other: float | None, ours: float) -> str:
    return f"{other:8.3f} s ({other / ours:6.1f}x)" if other is not None else f"{'-':>19}"


def main() -> None:
    warnings.simplefilter("ignore", DegenerateDataWarning)
    print("1:1 nearest-neighbour PS matching, logit caliper 0.2 SD, 10 covariates "
          "(best of repeats; ratio = other / oncostat match())")
    print(f"{'patients':>9} {'ps fit':>8} {'matching':>9} {'match()':>8} "
          f"{'scikit-learn':>21} {'psmpy':>21} {'MatchIt':>21} {'peak B/patient':>15}")
    for n, repeats in [(10**4, 5), (10**5, 3), (10**6, 2)]:
        data = make_data(n)
        t_ps, ps = best_of(lambda d=data: propensity_score(
            d, treatment="treat", focal=1, covariates=COVS), repeats)
        lg = ps.logit.to_numpy()
        treated = data["treat"].to_numpy() == 1
        cal = 0.2 * lg.std(ddof=1)
        t_nn, _ = best_of(lambda lg=lg, t=treated, c=cal: nearest_neighbour(lg, t, caliper=c),
                          repeats)
        t_all, _ = best_of(lambda d=data: match(d, treatment="treat", focal=1,
                                                covariates=COVS), repeats)
        t_sk, _ = best_of(lambda d=data: sklearn_match(d), max(1, repeats - 1))
        t_psm = None
        if n <= 10**4:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t_psm, _ = best_of(lambda d=data: psmpy_match(d), 1)
            except ImportError:
                t_psm = None
        t_r = matchit_seconds(data) if n <= 10**5 else None
        peak = peak_bytes(lambda d=data: match(d, treatment="treat", focal=1, covariates=COVS))
        print(f"{n:>9} {t_ps:>8.3f} {t_nn:>9.3f} {t_all:>8.3f} {_ratio(t_sk, t_all):>21} "
              f"{_ratio(t_psm, t_all):>21} {_ratio(t_r, t_all):>21} {peak / n:>15.0f}")
    print("  psmpy: 10^4 only (out of memory or > 30 min beyond); MatchIt: up to 10^5 when "
          "Rscript is installed (at 10^6 it took 81 s when issue 4 was written).")
    three = make_data(10**6, arms=3)
    t3, m3 = best_of(lambda: match(three, treatment="arm", focal="HIFU", covariates=COVS,
                                   ratio={"BSC": 2, "PC": 2}), 2)
    print(f"1:2:2 three-arm matching at 10^6 patients: {t3:.3f} s "
          f"({len(m3.sets_list())} complete sets)")


if __name__ == "__main__":
    main()
