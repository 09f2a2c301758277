"""De-duplication accuracy and speed on the labelled sets in ``../shared/validation/dedup``.

Run from the repository root: ``.venv/bin/python -m benchmarks.bench_dedup``. For ASySD's
Diabetes set (Hair et al. 2023; gold clusters as re-checked by bib-dedupe) and bib-dedupe's
digital_work and special_cases sets, prints n, TP, FN, FP, TN, sensitivity, specificity and
seconds under the removable-copy convention of ASySD and bib-dedupe: in a gold cluster of k
records exactly one should remain, so TP counts copies removed, FN copies left in, FP
clusters left with no record at all and TN clusters kept. Then 50,000 synthetic records
(digital_work's papers replicated as new papers, each copy perturbed: typos, case, dropped
DOIs and pages, initials for given names, truncated author lists) are de-duplicated and
timed. Targets from the review issue: sensitivity >= 0.995 and specificity >= 0.999 on each
set; 50,000 records in under 60 s (ASySD: 79 s for 53,001).
"""

from __future__ import annotations

import re
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from oncostat.review.dedup import find_duplicates

DATA = Path(__file__).resolve().parents[2] / "shared" / "validation" / "dedup"


@dataclass(frozen=True)
class Score:
    """Removable-copy counts of one run against gold clusters."""

    n: int
    tp: int
    fn: int
    fp: int
    tn: int

    @property
    def sensitivity(self) -> float:
        return self.tp / (self.tp + self.fn)

    @property
    def specificity(self) -> float:
        return self.tn / (self.tn + self.fp)


def removable_copy(kept: pd.Series, gold: pd.Series) -> Score:
    """Score a de-duplication: ``kept`` (bool) and ``gold`` (gold cluster id), by record id.

    Per gold cluster of k records with s records kept: TP += k - s copies removed and
    FN += s - 1 copies left in when s >= 1, with TN += 1 for the record kept; when s = 0,
    TP += k - 1 and FP += 1 for the lost unique record (README, "Scoring conventions").
    """
    frame = pd.DataFrame({"kept": kept, "gold": gold.reindex(kept.index)})
    if frame["gold"].isna().any():
        raise ValueError("every record needs a gold cluster")
    per = frame.groupby("gold")["kept"].agg(["size", "sum"])
    k, s = per["size"].to_numpy(), per["sum"].to_numpy()
    lost = s == 0
    tp = int(np.where(lost, k - 1, k - s).sum())
    fn = int(np.where(lost, 0, s - 1).sum())
    fp = int(lost.sum())
    tn = int((~lost).sum())
    return Score(n=len(frame), tp=tp, fn=fn, fp=fp, tn=tn)


def _gold_from_merged(ids: pd.Series, merged: Path) -> pd.Series:
    gold = pd.Series(ids.to_numpy(copy=True), index=ids.to_numpy(copy=True), dtype=object)
    for k, row in enumerate(pd.read_csv(merged)["merged_ids"]):
        for rid in row.split(";"):
            gold[rid] = f"cluster{k}"
    return gold


def load_asysd() -> tuple[pd.DataFrame, pd.Series]:
    """ASySD's labelled Diabetes set as store columns, and gold cluster ids by record id
    (bib-dedupe's re-checked clusters; ids ``id_%07d`` match ``record_id``)."""
    raw = pd.read_csv(DATA / "asysd_diabetes" / "labelled_test_set.csv", encoding="cp1252",
                      dtype=str, keep_default_na=False, na_values=[""])
    records = pd.DataFrame({
        "record_id": [f"id_{int(r):07d}" for r in raw["record_id"]],
        "title": raw["title"], "authors": raw["author"], "year": raw["year"],
        "journal": raw["journal"], "volume": raw["volume"], "issue": raw["number"],
        "pages": raw["pages"], "doi": raw["doi"], "isbn": raw["isbn"],
        "abstract": raw["abstract"],
    })
    gold = _gold_from_merged(records["record_id"],
                             DATA / "asysd_diabetes" / "merged_record_ids_bibdedupe.csv")
    return records, gold


def load_bibdedupe(name: str) -> tuple[pd.DataFrame, pd.Series]:
    """A bib-dedupe set (``"digital_work"`` or ``"special_cases"``) as store columns, and
    gold cluster ids by record id."""
    folder = DATA / "bibdedupe_extra" / name
    raw = pd.read_csv(folder / "records_pre_merged.csv", dtype=str, keep_default_na=False,
                      na_values=[""])

    def col(c: str) -> pd.Series:
        return raw[c] if c in raw.columns else pd.Series([None] * len(raw), dtype=object)

    records = pd.DataFrame({
        "record_id": raw["ID"], "title": col("title"), "authors": col("author"),
        "year": col("year"), "journal": col("journal").fillna(col("booktitle")),
        "volume": col("volume"), "issue": col("number").fillna(col("issue")),
        "pages": col("pages"), "doi": col("doi"), "isbn": col("isbn"),
        "abstract": col("abstract"), "type": col("ENTRYTYPE"),
    })
    return records, _gold_from_merged(records["record_id"], folder / "merged_record_ids.csv")


# --------------------------------------------------------------------------- synthetic


_WORDS = ("adaptive clinical cohort digital evidence hepatic hybrid immune latent modular "
          "neural oncologic platform pragmatic radiomic robust spatial stochastic targeted "
          "temporal tumour ultrasound virtual workforce").split()


_NON_WORD = re.compile(r"\W")


def _typo(text: str, rng: np.random.Generator) -> str:
    if len(text) < 8:
        return text
    k = int(rng.integers(1, len(text) - 1))
    kind = rng.integers(3)
    if kind == 0:
        return text[:k] + text[k + 1:]
    if kind == 1:
        return text[:k] + text[k + 1] + text[k] + text[k + 2:]
    return text[:k] + "e" + text[k:]


def _initials(authors: str) -> str:
    out = []
    for name in authors.split(" and "):
        if "," in name:
            surname, given = name.split(",", 1)
            inits = "".join(p[0] + "." for p in re.split(r"[\s-]+", given.strip()) if p)
            out.append(f"{surname}, {inits}")
        else:
            out.append(name)
    return " and ".join(out)


def synthesise(n_target: int = 50_000, seed: int = 20250101) -> tuple[pd.DataFrame, pd.Series]:
    """About ``n_target`` records: digital_work's records replicated as new papers (title
    words shuffled and two added, an author added, year, volume and pages changed, per
    replicate), each record
    perturbed with a seeded typo in 15% of titles, title case changes, 30% of DOIs dropped,
    20% of pages dropped, given names reduced to initials, author lists truncated to three
    and "et al." for 10%. Gold clusters are digital_work's, within each replicate."""
    base, gold = load_bibdedupe("digital_work")
    rng = np.random.default_rng(seed)
    reps = int(np.ceil(n_target / len(base)))
    frames, golds = [], []
    for r in range(reps):
        rec = base.copy()
        rep_gold = gold.copy()
        # one new paper per gold cluster: same substitutions for every record of a cluster
        cluster_codes, uniq = pd.factorize(rep_gold.reindex(rec["record_id"]).to_numpy())
        words = rng.choice(_WORDS, size=(len(uniq), 3))
        shift = rng.integers(-15, 1, size=len(uniq)) if r else np.zeros(len(uniq), int)
        new_titles, new_authors, new_years = [], [], []
        for k, (title, authors, year) in enumerate(zip(rec["title"], rec["authors"],
                                                       rec["year"], strict=True)):
            c = cluster_codes[k]
            w = words[c]
            t = str(title)
            if r:
                # a different paper: the title's words in another order (the same order
                # for every record of the cluster), plus new words
                tokens = sorted(t.split(), key=lambda tok, r=r: zlib.crc32(
                    f"{seed}:{r}:{_NON_WORD.sub('', tok.casefold())}".encode()))
                t = " ".join([w[0], *tokens, w[1]])
            new_titles.append(t)
            a = "" if pd.isna(authors) else str(authors)
            if r and a:
                a = f"{w[2].title()}{r}, Anna and " + a
            new_authors.append(a or None)
            new_years.append(str(int(year) + int(shift[c])) if str(year).isdigit() else year)
        rec["title"], rec["authors"], rec["year"] = new_titles, new_authors, new_years
        if r:
            # ... and elsewhere in the journal: other volume, other pages
            offset = 1000 * r + cluster_codes
            rec["volume"] = [f"{v}{r}" if isinstance(v, str) else v for v in rec["volume"]]
            rec["pages"] = [re.sub(r"\d+", lambda m, o=o: str(int(m.group()) + o), p)
                            if isinstance(p, str) else p
                            for p, o in zip(rec["pages"], offset, strict=True)]
        m = len(rec)
        typo = rng.random(m) < 0.15
        rec.loc[typo, "title"] = [_typo(t, rng) for t in rec.loc[typo, "title"]]
        upper = rng.random(m) < 0.1
        rec.loc[upper, "title"] = rec.loc[upper, "title"].str.upper()
        rec.loc[rng.random(m) < 0.3, "doi"] = None
        rec.loc[rng.random(m) < 0.2, "pages"] = None
        short = rng.random(m) < 0.3
        rec.loc[short, "authors"] = [_initials(a) if isinstance(a, str) else a
                                     for a in rec.loc[short, "authors"]]
        etal = rng.random(m) < 0.1
        rec.loc[etal, "authors"] = [" and ".join(a.split(" and ")[:3]) + " and others"
                                    if isinstance(a, str) else a
                                    for a in rec.loc[etal, "authors"]]
        if r:
            rec["doi"] = [f"{d}.r{r}" if isinstance(d, str) else d for d in rec["doi"]]
        rec["record_id"] = [f"r{r}_{x}" for x in rec["record_id"]]
        rep_gold.index = [f"r{r}_{x}" for x in rep_gold.index]
        rep_gold = rep_gold.map(lambda g, r=r: f"r{r}_{g}")
        frames.append(rec)
        golds.append(rep_gold)
    records = pd.concat(frames, ignore_index=True).iloc[:n_target]
    order = rng.permutation(len(records))
    records = records.iloc[order].reset_index(drop=True)
    gold = pd.concat(golds)
    return records, gold.reindex(records["record_id"])


def run(records: pd.DataFrame, gold: pd.Series) -> tuple[Score, float, int]:
    """De-duplicate ``records``; the score, wall-clock seconds and review-queue length."""
    t0 = time.perf_counter()
    result = find_duplicates(records)
    seconds = time.perf_counter() - t0
    kept = pd.Series(result.clusters["is_representative"].to_numpy(),
                     index=result.clusters["record_id"].to_numpy())
    return removable_copy(kept, gold), seconds, len(result.review_queue)


def main() -> None:
    if not DATA.exists():
        print(f"validation data not found at {DATA}; nothing to run")
        return
    print("Removable-copy convention (ASySD, bib-dedupe); targets sens >= 0.995, "
          "spec >= 0.999")
    print(f"{'data set':<16} {'n':>6} {'TP':>6} {'FN':>4} {'FP':>4} {'TN':>6} {'sens':>6} "
          f"{'spec':>6} {'queue':>6} {'s':>6}")
    sets = {"ASySD Diabetes": load_asysd, "digital_work": lambda: load_bibdedupe(
        "digital_work"), "special_cases": lambda: load_bibdedupe("special_cases")}
    for name, load in sets.items():
        score, seconds, queue = run(*load())
        _row(name, score, seconds, queue)
    records, gold = synthesise()
    score, seconds, queue = run(records, gold)
    _row("synthetic 50k", score, seconds, queue)
    print(f"50,000 records in {seconds:.1f} s ({len(records) / seconds:,.0f} records/s; "
          f"target < 60 s; ASySD 79 s for 53,001)")


def _row(name: str, s: Score, seconds: float, queue: int) -> None:
    print(f"{name:<16} {s.n:>6} {s.tp:>6} {s.fn:>4} {s.fp:>4} {s.tn:>6} "
          f"{s.sensitivity:>6.3f} {s.specificity:>6.3f} {queue:>6} {seconds:>6.2f}")


if __name__ == "__main__":
    main()
