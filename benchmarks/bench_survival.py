"""Survival speed: oncostat Kaplan-Meier + log-rank against lifelines.

Run from the repository root: ``python -m benchmarks.bench_survival``. Seeded data with
10^4, 10^5 and 10^6 patients in 3 arms (exponential times in months, ~30% censored).
Target from the survival issue: KM + log-rank at 10^6 patients in under 0.1 s (lifelines
0.30 s, R 2.4 s). Timings are the best of several runs and include input checks.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from benchmarks._timing import best_of


def simulate(n: int, seed: int = 20240501) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 3, n)
    death = rng.exponential(np.array([12.0, 16.0, 20.0])[arm])
    censor = rng.uniform(0, 60, n)
    return pd.DataFrame({"months": np.minimum(death, censor),
                         "died": (death <= censor).astype(np.int64), "arm": arm})


def oncostat_km_logrank(d: pd.DataFrame) -> None:
    from oncostat.survival import kaplan_meier, logrank_test

    kaplan_meier(d, time="months", event="died", group="arm")
    logrank_test(d, time="months", event="died", group="arm")


def lifelines_km_logrank(d: pd.DataFrame) -> None:
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test

    for _, part in d.groupby("arm"):
        KaplanMeierFitter().fit(part["months"], part["died"])
    multivariate_logrank_test(d["months"], d["arm"], d["died"])


def main() -> None:
    try:
        import lifelines
    except ImportError:
        lifelines = None
    print(f"{'n':>9}  {'oncostat':>10}  {'lifelines':>10}  {'ratio':>7}")
    for n in (10**4, 10**5, 10**6):
        d = simulate(n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = best_of(lambda d=d: oncostat_km_logrank(d), repeat=7)
            theirs = (best_of(lambda d=d: lifelines_km_logrank(d), repeat=3)
                      if lifelines is not None else float("nan"))
        print(f"{n:>9}  {ours:>9.4f}s  {theirs:>9.4f}s  {theirs / ours:>6.1f}x")
    print("target: KM + log-rank at 10^6 patients, 3 arms, under 0.1 s")


if __name__ == "__main__":
    main()
