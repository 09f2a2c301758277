"""Prioritised screening on the labelled sets in ``../shared/validation/screening``.

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_screening``
(``--quick`` for one run per set, ``--runs N`` for more). For Nagtegaal 2019 (nudging) and
Cohen 2006 (ACE inhibitors) it replays prioritised title/abstract screening
(:func:`oncostat.review.prioritise.simulate`: TF-IDF, refitted every 10 records, starting
from one random include and one random exclude) against the final-inclusion labels with
three models: Naive Bayes with double balance and oncostat's default smoothing
(``nb``), the same with ASReview's smoothing 3.822 (``nb a=3.822``) and logistic
regression (``logistic``). It prints WSS@95 and recall after 10% screened (RRF@10), mean
(SD) over runs with different starting records, beside ASReview's published figures for
its then-default Naive Bayes model (mean (SE) over 15 runs, on cleaned sets without
missing-abstract and duplicate rows). Both the whole file and a cleaned version (rows
without an abstract and known duplicates dropped, closer to ASReview's n) are run.
oncostat's default smoothing and ``min_df`` were chosen on these two sets, so its
figures are in-sample.

Then an honest stopping-rule report for the default model: had the reviewers stopped
after k consecutive irrelevant records (k = 50, 100, 5% of n), the share screened, the
recall and the includes missed, on each run. No rule guarantees recall on a new review.

The data are read from ``../shared`` and never copied into the repository.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from oncostat.review.prioritise import simulate, stopping_report

MODELS: dict[str, dict[str, object]] = {
    "nb": {"model": "nb"},
    "nb a=3.822": {"model": "nb", "alpha": 3.822},
    "logistic": {"model": "logistic"},
}
"""label -> keyword arguments of :func:`simulate`; the first is oncostat's default."""

DATA = Path(__file__).resolve().parents[2] / "shared" / "validation" / "screening"

SETS = {
    "Nagtegaal 2019": ("nagtegaal_2019/Nagtegaal_2019.csv", 71.7, 1.37, 65.3, 2.61),
    "Cohen 2006 ACE": ("cohen_2006_ace_inhibitors/ACEInhibitors.csv", 82.9, 0.99, 90.5, 1.40),
}
"""name -> (file, ASReview WSS@95 mean, SE, RRF@10 mean, SE) from the README there."""


def load(file: str, *, clean: bool) -> tuple[list[str], np.ndarray]:
    """Texts (title + abstract) and final-inclusion labels of one set."""
    frame = pd.read_csv(DATA / file)
    if clean:
        frame = frame[frame["abstract"].fillna("").str.strip() != ""]
        if "duplicate_record_id" in frame.columns:
            frame = frame[frame["duplicate_record_id"].isna()]
    text = (frame["title"].fillna("") + " " + frame["abstract"].fillna("")).tolist()
    return text, frame["label_included"].to_numpy(dtype=int)


def run(runs: int = 3, step: int = 10) -> list[dict[str, object]]:
    """Every set, whole and cleaned, every model, ``runs`` seeds; one dict per set,
    version and model (stopping reports for the default model only)."""
    out = []
    for name, (file, wss_ref, wss_se, rrf_ref, rrf_se) in SETS.items():
        for clean in (False, True):
            text, labels = load(file, clean=clean)
            for label, kwargs in MODELS.items():
                start = time.perf_counter()
                sims = [simulate(text, labels, seed=seed, step=step, **kwargs)
                        for seed in range(runs)]
                seconds = (time.perf_counter() - start) / runs
                stops = {} if label != next(iter(MODELS)) else {
                    k: [stopping_report(s.labels[s.order], k) for s in sims]
                    for k in (50, 100, int(0.05 * len(labels)))}
                out.append({"set": name, "clean": clean, "model": label, "n": len(labels),
                            "includes": int(labels.sum()),
                            "wss95": [s.wss95 for s in sims],
                            "rrf10": [s.rrf10 for s in sims],
                            "asreview": (wss_ref, wss_se, rrf_ref, rrf_se),
                            "seconds": seconds, "stops": stops})
    return out


def _ms(values: list[float]) -> str:
    sd = np.std(values, ddof=1) if len(values) > 1 else float("nan")
    return f"{100 * np.mean(values):5.1f} ({100 * sd:.1f})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one run per set")
    args = parser.parse_args(argv if argv is not None else [])
    if not DATA.is_dir():
        print(f"skipped: {DATA} not found (the labelled sets live outside the repository)")
        return
    results = run(1 if args.quick else args.runs)
    print(f"{'set':<16} {'version':<8} {'n':>5} {'incl':>4} {'model':<11} "
          f"{'WSS@95 % (SD)':>14} {'ASReview (SE)':>13}  {'RRF@10 % (SD)':>14} "
          f"{'ASReview (SE)':>13}  s/run")
    for r in results:
        wss_ref, wss_se, rrf_ref, rrf_se = r["asreview"]
        print(f"{r['set']:<16} {'cleaned' if r['clean'] else 'whole':<8} {r['n']:>5} "
              f"{r['includes']:>4} {r['model']:<11} {_ms(r['wss95']):>14} "
              f"{wss_ref:>6.1f} ({wss_se:.2f})  {_ms(r['rrf10']):>14} "
              f"{rrf_ref:>6.1f} ({rrf_se:.2f})  {r['seconds']:5.1f}")
    print(f"\nStopping after k consecutive irrelevant records, model {next(iter(MODELS))} "
          "(per run: screened %, recall %, includes missed):")
    for r in results:
        for k, reports in r["stops"].items():
            cells = "; ".join(f"{100 * s['screened']:.0f}%, {100 * s['recall']:.0f}%, "
                              f"{s['missed']}" for s in reports)
            print(f"  {r['set']:<16} {'cleaned' if r['clean'] else 'whole':<8} k = {k:<4} "
                  f"{cells}")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
