"""Cox regression speed: oncostat.survival.cox_ph against lifelines' CoxPHFitter (Efron ties).

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_cox``. Seeded data with 12
covariates (continuous and binary) and 10^4, 10^5 and 10^6 rows, about 30% censored; times are
rounded to two decimals so some deaths are tied. Prints wall-clock seconds (best of the
repeats) and the ratio lifelines / oncostat, with the largest difference in coefficients.
Targets from the survival issue: 10^4 rows in under 30 ms, 10^6 rows in under 0.7 s.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from benchmarks._timing import timed
from oncostat.survival.cox import cox_ph

P = 12


def make_data(n: int, seed: int = 20240501) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, P))
    x[:, P // 2:] = x[:, P // 2:] > 0  # half of the covariates binary
    beta = np.linspace(-0.5, 0.5, P)
    t_event = rng.exponential(1 / np.exp(x @ beta))
    t_censor = rng.exponential(2.0, n)
    data = pd.DataFrame(x, columns=[f"x{j}" for j in range(P)])
    data["time"] = np.round(np.minimum(t_event, t_censor), 2) + 0.01
    data["event"] = (t_event <= t_censor).astype(int)
    return data




def main() -> None:
    from lifelines import CoxPHFitter

    covariates = [f"x{j}" for j in range(P)]
    print(f"Cox PH, Efron ties, {P} covariates, coefficients + SEs (best of repeats)")
    print(f"{'rows':>9} {'oncostat s':>11} {'lifelines s':>12} {'ratio':>7} {'max |dcoef|':>12}")
    for n, repeats_ours, repeats_ll in [(10**4, 20, 3), (10**5, 5, 1), (10**6, 5, 1)]:
        data = make_data(n)
        t_ours, res = timed(lambda d=data: cox_ph(d, time="time", event="event",
                                                    covariates=covariates), repeats_ours)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_ll, cph = timed(lambda d=data: CoxPHFitter().fit(d, "time", "event"), repeats_ll)
        diff = np.max(np.abs(res.coef - cph.params_[covariates].to_numpy()))
        print(f"{n:>9} {t_ours:>11.3f} {t_ll:>12.3f} {t_ll / t_ours:>6.1f}x {diff:>12.2e}")


if __name__ == "__main__":
    main()
