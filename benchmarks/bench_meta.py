"""Meta-analysis speed: oncostat against statsmodels (and R metafor when installed).

Run from the repository root: ``python -m benchmarks.bench_meta``. Prints seconds and
ratios; targets from issue 2: REML at k = 1,000 under 5 ms, REML with the Q-profile tau²
interval at k = 100,000 under 0.1 s, DerSimonian-Laird within 1.5x of statsmodels.

DerSimonian-Laird is timed twice: on arrays, as statsmodels' ``combine_effects`` works (the
fixed-effect fit, Q, tau², the random-effects estimate and its SE: ``DL arrays``), and as
the whole ``meta_analysis()`` from a study table (``DL fit``: column checks, study labels,
per-study rows, I² and the Q-profile tau² interval as well).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._timing import best_of


def simulate(k: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sei = rng.uniform(0.05, 0.5, k)
    yi = rng.normal(-0.3, np.sqrt(sei**2 + 0.04))
    return pd.DataFrame({"study": np.arange(k).astype(str), "yi": yi, "sei": sei})


def import_time() -> float:
    """Seconds that ``import oncostat.meta`` adds on top of numpy, scipy and pandas."""
    code = ("import time, numpy, scipy.stats, pandas; t = time.perf_counter(); "
            "import oncostat, oncostat.meta; print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return float(out.stdout)


def r_metafor_reml(data: pd.DataFrame) -> float | None:
    """metafor's rma(method="REML") time in seconds, or None without R."""
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "d.csv"
        data.to_csv(csv, index=False)
        script = (f"suppressMessages(library(metafor)); d <- read.csv('{csv}'); "
                  "t <- system.time(rma(yi, sei=sei, data=d, method='REML'))[['elapsed']]; "
                  "cat(t)")
        res = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True)
        return float(res.stdout) if res.returncode == 0 and res.stdout else None


def main() -> None:
    from statsmodels.stats.meta_analysis import combine_effects

    from oncostat.meta import meta_analysis
    from oncostat.meta.pooling import inverse_variance
    from oncostat.meta.tau2 import (
        dersimonian_laird,
        q_profile_ci,
        restricted_maximum_likelihood,
    )

    def dl_arrays(y: np.ndarray, v: np.ndarray) -> tuple[float, float]:
        fixed = inverse_variance(y, v)
        q = float(np.dot(fixed.weights, (y - fixed.estimate) ** 2))
        w = 1.0 / (v + dersimonian_laird(y, v, q=q))
        return float(np.dot(w, y) / w.sum()), float(np.sqrt(1.0 / w.sum()))

    rows = []
    for k in (1_000, 100_000):
        d = simulate(k)
        y, v = d["yi"].to_numpy(), d["sei"].to_numpy() ** 2
        t_reml = best_of(lambda y=y, v=v: restricted_maximum_likelihood(y, v))
        t_qp = best_of(lambda y=y, v=v: (restricted_maximum_likelihood(y, v),
                                         q_profile_ci(y, v)))
        t_full = best_of(lambda d=d: meta_analysis(d, measure="GEN", method="IV",
                                                   model="random", tau2_method="REML"))
        t_dl = best_of(lambda d=d: meta_analysis(d, measure="GEN", method="IV",
                                                 model="random", tau2_method="DL"))
        t_dla = best_of(lambda y=y, v=v: dl_arrays(y, v))
        ref = combine_effects(y, v, method_re="dl")
        assert np.allclose(dl_arrays(y, v), (ref.mean_effect_re, ref.sd_eff_w_re), rtol=1e-10)
        t_sm = best_of(lambda y=y, v=v: combine_effects(y, v, method_re="dl"))
        rows.append((k, t_reml, t_qp, t_full, t_dla, t_dl, t_sm))
    print("Meta-analysis (seconds, best of 5)")
    print(f"{'k':>8} {'REML':>9} {'REML+QP':>9} {'full fit':>9} {'DL arrays':>10} "
          f"{'DL fit':>9} {'sm DL':>9} {'arrays/sm':>10} {'fit/sm':>7}")
    for k, reml, qp, full, dla, dl, sm in rows:
        print(f"{k:>8} {reml:9.5f} {qp:9.5f} {full:9.5f} {dla:10.5f} {dl:9.5f} {sm:9.5f} "
              f"{dla / sm:10.2f} {dl / sm:7.2f}")
    print("  targets: REML k=1e3 < 0.005 s; REML+Q-profile k=1e5 < 0.1 s; DL/statsmodels <= 1.5"
          " (arrays/sm; the whole fit from a table also checks columns, labels studies and"
          " profiles tau²)")
    r_time = r_metafor_reml(simulate(1_000))
    if r_time is not None:
        print(f"  metafor rma(REML) k=1e3: {r_time:.3f} s; oncostat is "
              f"{r_time / rows[0][1]:.0f}x faster on the estimator, "
              f"{r_time / rows[0][3]:.0f}x on the full fit")
    print(f"import oncostat.meta adds {import_time():.3f} s (target < 0.5 s)")


if __name__ == "__main__":
    main()
