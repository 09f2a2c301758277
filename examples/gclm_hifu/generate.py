"""Synthetic data for the HIFU vs BSC vs PC study of gastric cancer liver metastases.

Seed paper: Zhou B, He N, Hong J, et al. HIFU for gastric cancer with liver metastasis...
BMC Surg 2021;21:308 (a 1:2:2 propensity-matched comparison of HIFU, best supportive care
and palliative chemotherapy; 960 gastrectomies -> 331 with liver metastasis -> 172 eligible
(8 HIFU, 55 BSC, 109 PC) -> 40 matched (8/16/16)).

Run from the repository root::

    python examples/gclm_hifu/generate.py            # writes the four CSVs (~1.5 min)
    python examples/gclm_hifu/generate.py --check    # and repeats the checks with oncostat

Writes, next to this file:

- ``screening.csv``      960 gastrectomy patients and the eligibility criteria (Fig. 1);
- ``patients.csv``       the 172 eligible patients: covariates of Tables 1/2, PFS and OS;
- ``lesions.csv``        lesion measurements per scan (RECIST 1.1 diameters, and viable
                         diameters for mRECIST in the HIFU arm);
- ``adverse_events.csv`` CTCAE 4.0 adverse events.

Only the HIFU patients' Table 3 values (sex, age, ECOG, prior therapy, response, recurrence,
outcome and its time) and the published counts, medians and rates are from the paper;
everything else is synthetic (see README.md).

How it works (numpy and pandas only; everything is seeded, so the output is identical on
every run):

1. ``covariates``: the 8 HIFU patients (Table 3 + choices fitting Tables 1/2); 16 BSC and
   16 PC "intended matches" drawn with the matched columns' counts of Table 1/2, each near
   a HIFU partner; 39 BSC and 93 PC others drawn from the pre-matching profile the paper
   describes (BSC older, thinner, worse ECOG, more advanced, more lesions; PC largest
   lesions).
2. ``refine``: simulated annealing of the covariates of the matched/intended comparators
   towards the matched Table 1/2, accepting only states in which the paper's 1:2:2
   matching (``psm``: a logistic propensity model per comparison, greedy nearest neighbour
   on the logit, largest score first, caliper 0.2 SD of the logit, no replacement - what
   ``oncostat.matching.match`` does) still gives 8/16/16.
3. ``outcomes``: Table 3 for HIFU; designed PFS/OS for the matched comparators that give
   the published KM medians, deaths and alive counts; exponential draws for the others,
   censored administratively on 31 December 2020.
4. ``lesions``, ``adverse_events``, ``screening``: see their docstrings.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

PS_COLUMNS = ["age", "sex", "bmi", "ecog", "child_pugh", "lm_timing", "n_liver_lesions",
              "largest_lesion_cm", "tnm_stage", "lymph_nodes"]

# Table 3 (published): gender, age, ECOG; the rest chosen to fit Tables 1-2 (see README).
HIFU = pd.DataFrame({
    "table3_no": [1, 2, 3, 4, 5, 6, 7, 8],
    "sex": ["male", "female", "male", "female", "male", "male", "male", "male"],
    "age": [71.0, 67.0, 62.0, 55.0, 62.0, 71.0, 64.0, 59.0],
    "ecog": [0, 1, 0, 1, 1, 0, 1, 0],
    "bmi": [18.9, 21.6, 20.1, 22.8, 17.4, 17.9, 24.3, 20.9],
    "child_pugh": ["A", "A", "A", "A", "A", "A", "B", "A"],
    "lm_timing": ["metachronous", "metachronous", "metachronous", "synchronous",
                  "synchronous", "metachronous", "metachronous", "metachronous"],
    "n_liver_lesions": [3, 1, 2, 1, 1, 1, 1, 3],
    "largest_lesion_cm": [2.6, 1.5, 1.9, 1.2, 1.8, 3.4, 8.8, 2.1],
    "tnm_stage": [3, 1, 2, 4, 4, 3, 3, 3],
    "lymph_nodes": [24, 11, 20, 15, 28, 18, 33, 9],
    "chemo_before_surgery": [0, 0, 0, 1, 1, 0, 0, 0],
    "comorbidity": [1, 1, 1, 0, 1, 0, 1, 1],
})

# Table 1/2, matched comparators (published marginal counts).
MATCHED = {
    "BSC": dict(male=8, ecog=(4, 10, 2), cp_b=3, sync=1, tnm=(4, 3, 8, 1), lesions=(8, 4, 4),
                age=(63.2, 59.4, 65.5), bmi=(19.5, 17.8, 21.8), nodes=(18, 12, 27),
                size=(3.8, 1.0, 8.0), comorbid=9, chemo=0),
    "PC": dict(male=6, ecog=(6, 9, 1), cp_b=5, sync=1, tnm=(2, 4, 9, 1), lesions=(8, 3, 5),
               age=(62.5, 58.1, 66.3), bmi=(20.0, 19.2, 23.0), nodes=(20, 13, 25),
               size=(3.0, 1.0, 7.0), comorbid=8, chemo=1),
}
# Unmatched comparators (synthetic profile, Table 1 text: BSC older, thinner, worse ECOG,
# more advanced, most lesions; PC largest lesions).
UNMATCHED = {
    "BSC": dict(n=39, age=(71.0, 7.0), male=0.65, bmi=(18.8, 2.2), ecog=(0.10, 0.50, 0.40),
                cp_b=0.20, sync=0.18, lesions=(0.20, 0.35, 0.45), size=(4.2, 0.45),
                tnm=(0.04, 0.12, 0.74), nodes=(19, 7), chemo=0.10, comorbid=0.6),
    "PC": dict(n=93, age=(62.0, 8.5), male=0.65, bmi=(21.0, 2.6), ecog=(0.35, 0.50, 0.15),
               cp_b=0.20, sync=0.18, lesions=(0.32, 0.32, 0.36), size=(4.6, 0.40),
               tnm=(0.07, 0.20, 0.68), nodes=(20, 7), chemo=0.15, comorbid=0.5),
}


def _quantile_draw(rng, n, med, lo, hi, *, decimals=1, integer=False):
    """n values with roughly the given median and IQR (normal, then rank-adjusted)."""
    sd = (hi - lo) / 1.349
    x = np.sort(rng.normal(med, sd, n))
    x += med - np.median(x)
    out = np.round(x) if integer else np.round(x, decimals)
    return rng.permutation(out)


def _matched_block(rng, arm, spec):
    n = 16
    ecog = np.repeat([0, 1, 2], spec["ecog"])
    tnm_counts = spec["tnm"]
    sync = np.zeros(n, int)
    sync[: spec["sync"]] = 1
    # synchronous liver metastasis = stage IV (M1 at gastrectomy)
    tnm = [4] * tnm_counts[3] + list(rng.permutation(np.repeat([1, 2, 3], tnm_counts[:3])))
    chemo = np.zeros(n, int)
    chemo[: spec["chemo"]] = 1
    blk = pd.DataFrame({
        "sex": rng.permutation(["male"] * spec["male"] + ["female"] * (n - spec["male"])),
        "age": _quantile_draw(rng, n, *spec["age"]),
        "ecog": rng.permutation(ecog),
        "bmi": _quantile_draw(rng, n, *spec["bmi"]),
        "child_pugh": rng.permutation(["B"] * spec["cp_b"] + ["A"] * (n - spec["cp_b"])),
        "lm_timing": np.where(sync == 1, "synchronous", "metachronous"),
        "n_liver_lesions": rng.permutation(np.repeat([1, 2, 3], spec["lesions"])),
        "tnm_stage": tnm,
        "lymph_nodes": np.clip(_quantile_draw(rng, n, *spec["nodes"], integer=True), 3, 60
                               ).astype(int),
        "chemo_before_surgery": chemo,
        "comorbidity": rng.permutation([1] * spec["comorbid"] + [0] * (n - spec["comorbid"])),
    })
    med, lo, hi = spec["size"]
    size = np.exp(rng.normal(np.log(med), 0.45, n))
    size = np.clip(size, lo, hi)
    size[np.argmin(size)], size[np.argmax(size)] = lo, hi
    blk["largest_lesion_cm"] = np.round(size, 1)
    blk["arm"] = arm
    blk["intended"] = 1
    return blk


def _unmatched_block(rng, arm, spec):
    n = spec["n"]
    sync = rng.random(n) < spec["sync"]
    p = np.array(spec["tnm"])
    tnm = rng.choice([1, 2, 3], n, p=p / p.sum())
    tnm = np.where(sync, 4, tnm)
    blk = pd.DataFrame({
        "sex": np.where(rng.random(n) < spec["male"], "male", "female"),
        "age": np.round(np.clip(rng.normal(*spec["age"], n), 38, 88), 1),
        "ecog": rng.choice([0, 1, 2], n, p=spec["ecog"]),
        "bmi": np.round(np.clip(rng.normal(*spec["bmi"], n), 14.5, 30), 1),
        "child_pugh": np.where(rng.random(n) < spec["cp_b"], "B", "A"),
        "lm_timing": np.where(sync, "synchronous", "metachronous"),
        "n_liver_lesions": rng.choice([1, 2, 3], n, p=spec["lesions"]),
        "largest_lesion_cm": np.round(np.clip(np.exp(rng.normal(np.log(spec["size"][0]),
                                                               spec["size"][1], n)), 1.0, 12.0), 1),
        "tnm_stage": tnm,
        "lymph_nodes": np.clip(np.round(rng.normal(*spec["nodes"], n)), 3, 60).astype(int),
        "chemo_before_surgery": (rng.random(n) < spec["chemo"]).astype(int),
        "comorbidity": (rng.random(n) < spec["comorbid"]).astype(int),
    })
    blk["arm"] = arm
    blk["intended"] = 0
    return blk


# continuous covariates: (scale of the jitter, lowest, highest, decimals)
CONT = {"age": (6.0, 35.0, 85.0, 1), "bmi": (2.0, 15.5, 28.0, 1),
        "largest_lesion_cm": (1.0, 1.0, 9.0, 1), "lymph_nodes": (5.0, 3.0, 50.0, 0)}


def _pair_cost(h, c):
    """Dissimilarity of a HIFU patient and a comparator profile (categorical covariates)."""
    return (2.0 * abs(h["ecog"] - c["ecog"]) + 1.0 * (h["sex"] != c["sex"])
            + 1.5 * (h["child_pugh"] != c["child_pugh"]) + 3.0 * (h["lm_timing"] != c["lm_timing"])
            + 1.0 * abs(h["n_liver_lesions"] - c["n_liver_lesions"])
            + 0.7 * abs(h["tnm_stage"] - c["tnm_stage"]))


def _assign(rng, hifu, blk):
    """Give each HIFU patient two comparator profiles (swap search on _pair_cost)."""
    slots = np.repeat(np.arange(len(hifu)), 2)
    perm = rng.permutation(len(blk))
    cost = np.array([[_pair_cost(hifu.iloc[h], blk.iloc[c]) for c in range(len(blk))]
                     for h in range(len(hifu))])
    for _ in range(20):
        improved = False
        for a in range(len(perm)):
            for b in range(a + 1, len(perm)):
                old = cost[slots[a], perm[a]] + cost[slots[b], perm[b]]
                new = cost[slots[a], perm[b]] + cost[slots[b], perm[a]]
                if new < old - 1e-12:
                    perm[a], perm[b] = perm[b], perm[a]
                    improved = True
        if not improved:
            break
    out = blk.iloc[perm].reset_index(drop=True)
    out["partner"] = slots
    return out


def _copy_partner(rng, hifu, blk, q):
    """Each intended comparator takes its partner's value of a covariate with chance q."""
    blk = blk.copy()
    for c in PS_COLUMNS:
        take = rng.random(len(blk)) < q
        src = hifu[c].to_numpy()[blk["partner"].to_numpy()]
        if c in CONT:
            jitter = rng.normal(0, CONT[c][0] * 0.15, len(blk))
            src = np.clip(src + jitter, CONT[c][1], CONT[c][2])
        blk.loc[take, c] = src[take]
    # stage IV <=> synchronous liver metastasis
    blk["lm_timing"] = np.where(blk["tnm_stage"] == 4, "synchronous", "metachronous")
    return blk


def covariates(seed, q):
    """Starting covariates of all 172 patients (before annealing). Rows 0-7 are HIFU in
    Table 3 order; ``intended`` marks the 16 + 16 comparators drawn from the matched columns
    of Table 1/2, ``partner`` the HIFU patient each was drawn near."""
    rng = np.random.default_rng(seed)
    h = HIFU.drop(columns="table3_no").assign(arm="HIFU", intended=1, partner=np.arange(8))
    blocks = [h]
    for arm in ("BSC", "PC"):
        blk = _assign(rng, h, _matched_block(rng, arm, MATCHED[arm]))
        blocks.append(_copy_partner(rng, h, blk, q))
        blocks.append(_unmatched_block(rng, arm, UNMATCHED[arm]).assign(partner=-1))
    pats = pd.concat(blocks, ignore_index=True)
    # shuffle the comparators so the intended matches are not recognisable by row
    order = np.concatenate([np.arange(8), 8 + rng.permutation(len(pats) - 8)])
    pats = pats.iloc[order].reset_index(drop=True)
    pats.insert(0, "id", [f"P{i:03d}" for i in range(1, len(pats) + 1)])
    for n in CONT:
        pats[n] = pats[n].astype(float).round(CONT[n][3])
    pats["lymph_nodes"] = pats["lymph_nodes"].astype(int)
    return pats


def design(df):
    cols = [df["age"], (df["sex"] == "male"), df["bmi"], df["ecog"], df["child_pugh"] == "B",
            df["lm_timing"] == "synchronous", df["n_liver_lesions"], df["largest_lesion_cm"],
            df["tnm_stage"],
            df["lymph_nodes"]]
    x = np.column_stack([np.ones(len(df))] + [np.asarray(c, float) for c in cols])
    return x


def logistic(x, y, iters=50, coef=False):
    """Logistic regression MLE by Newton-Raphson with step halving; returns (logit, ok)."""
    def loglik(b):
        eta = x @ b
        return float(np.sum(y * eta - np.logaddexp(0.0, eta)))
    beta = np.zeros(x.shape[1])
    beta[0] = np.log(y.mean() / (1 - y.mean()))
    ll = loglik(beta)
    for _ in range(iters):
        mu = 1 / (1 + np.exp(-(x @ beta)))
        w = mu * (1 - mu)
        try:
            step = np.linalg.solve((x * w[:, None]).T @ x, x.T @ (y - mu))
        except np.linalg.LinAlgError:
            return (beta if coef else x @ beta), False
        for _ in range(30):
            new = beta + step
            ll_new = loglik(new)
            if ll_new >= ll - 1e-10 * abs(ll):
                break
            step = step / 2
        beta, ll = new, ll_new
        if np.max(np.abs(step)) < 1e-10 * max(1.0, np.max(np.abs(beta))):
            eta = x @ beta
            return (beta if coef else eta), bool(np.all(np.abs(eta) < 18))
    return (beta if coef else x @ beta), False


def greedy(dist, treated, ratio, caliper):
    """MatchIt-style greedy nearest neighbour, 'largest' first, in rounds, no replacement."""
    t = np.flatnonzero(treated)
    c = np.flatnonzero(~treated)
    order = t[np.argsort(-dist[t], kind="stable")]
    free = np.ones(c.size, bool)
    out = {i: [] for i in t}
    active = list(order)
    for _ in range(ratio):
        nxt = []
        for i in active:
            d = np.abs(dist[c] - dist[i])
            d[~free] = np.inf
            j = int(np.argmin(d))
            if d[j] <= caliper:
                out[i].append(c[j])
                free[j] = False
                nxt.append(i)
        active = nxt
    return out


def psm(pats, ratio=2, caliper=0.2):
    """1:2:2 pairwise PS matching as oncostat.matching.match (greedy, logit, caliper)."""
    res = {}
    ok = True
    sets = {}
    for arm in ("BSC", "PC"):
        sub = pats[pats["arm"].isin(["HIFU", arm])].reset_index(drop=True)
        y = (sub["arm"] == "HIFU").to_numpy(float)
        eta, conv = logistic(design(sub), y)
        ok &= conv
        if not conv:
            return {"HIFU": [], "BSC": [], "PC": []}, False
        cal = caliper * np.std(eta, ddof=1)
        mm = greedy(eta, y == 1, ratio, cal)
        sets[arm] = {sub.loc[i, "id"]: [sub.loc[j, "id"] for j in v] for i, v in mm.items()}
    complete = [h for h in sets["BSC"] if sets["BSC"][h] and sets["PC"][h]]
    res["HIFU"] = complete
    for arm in ("BSC", "PC"):
        res[arm] = sorted({j for h in complete for j in sets[arm][h]})
    return res, ok


# Numeric working form of the propensity covariates (sync is derived from stage IV).
NUM = ["age", "male", "bmi", "ecog", "cp_b", "n_liver_lesions", "largest_lesion_cm",
       "tnm_stage", "lymph_nodes"]


def to_num(pats):
    z = np.column_stack([pats["age"], pats["sex"] == "male", pats["bmi"], pats["ecog"],
                         pats["child_pugh"] == "B", pats["n_liver_lesions"],
                         pats["largest_lesion_cm"], pats["tnm_stage"], pats["lymph_nodes"]])
    return z.astype(float)


def from_num(pats, z):
    out = pats.copy()
    out["age"] = np.round(z[:, 0], 1)
    out["sex"] = np.where(z[:, 1] == 1, "male", "female")
    out["bmi"] = np.round(z[:, 2], 1)
    out["ecog"] = z[:, 3].astype(int)
    out["child_pugh"] = np.where(z[:, 4] == 1, "B", "A")
    out["n_liver_lesions"] = z[:, 5].astype(int)
    out["largest_lesion_cm"] = np.round(z[:, 6], 1)
    out["tnm_stage"] = z[:, 7].astype(int)
    out["lm_timing"] = np.where(z[:, 7] == 4, "synchronous", "metachronous")
    out["lymph_nodes"] = z[:, 8].astype(int)
    return out


def _x(z):
    # intercept, age, male, bmi, ecog, cp_b, synchronous, lesions, size, stage, nodes
    return np.column_stack([np.ones(len(z)), z[:, :5], z[:, 7] == 4, z[:, 5:]])


def psm_num(z, arm, ratio=2, caliper=0.2):
    """psm() on the numeric form; arm codes 0 HIFU, 1 BSC, 2 PC. Returns matched rows."""
    out = {0: [], 1: [], 2: []}
    got = {}
    for a in (1, 2):
        rows = np.flatnonzero((arm == 0) | (arm == a))
        y = (arm[rows] == 0).astype(float)
        eta, ok = logistic(_x(z[rows]), y)
        if not ok:
            return None
        mm = greedy(eta, y == 1, ratio, caliper * np.std(eta, ddof=1))
        got[a] = {rows[i]: [rows[j] for j in v] for i, v in mm.items()}
    for h in got[1]:
        if len(got[1][h]) == ratio and len(got[2][h]) == ratio:
            out[0].append(h)
            out[1] += got[1][h]
            out[2] += got[2][h]
    if len(out[0]) != 8:
        return None
    return {k: np.array(sorted(v)) for k, v in out.items()}


def _q7(v, p):
    return float(np.quantile(v, p))


def score_num(z, m):
    total = 0.0
    for a, arm in ((1, "BSC"), (2, "PC")):
        spec = MATCHED[arm]
        d = z[m[a]]
        total += abs(d[:, 1].sum() - spec["male"])
        total += np.abs(np.bincount(d[:, 3].astype(int), minlength=3) - spec["ecog"]).sum()
        total += abs(d[:, 4].sum() - spec["cp_b"])
        total += np.abs(np.bincount(d[:, 7].astype(int), minlength=5)[1:] - spec["tnm"]).sum()
        total += np.abs(np.bincount(d[:, 5].astype(int), minlength=4)[1:] - spec["lesions"]).sum()
        for j, key, unit in ((0, "age", 1.0), (2, "bmi", 0.5), (8, "nodes", 2.0)):
            total += abs(_q7(d[:, j], 0.5) - spec[key][0]) / unit
            total += 0.5 * (abs(_q7(d[:, j], 0.25) - spec[key][1])
                            + abs(_q7(d[:, j], 0.75) - spec[key][2])) / unit
        size = d[:, 6]
        total += abs(np.median(size) - spec["size"][0]) / 0.25
        total += (abs(size.min() - spec["size"][1]) + abs(size.max() - spec["size"][2])) / 0.5
    return float(total)


def refine(pats, seed, steps, temp=0.3):
    """Anneal the covariates of the matched (and intended) comparators towards the published
    Table 1/2 while the 1:2:2 matching keeps giving 8/16/16."""
    rng = np.random.default_rng(seed)
    z = to_num(pats)
    arm = pats["arm"].map({"HIFU": 0, "BSC": 1, "PC": 2}).to_numpy()
    intended = pats["intended"].to_numpy() == 1
    m = psm_num(z, arm)
    assert m is not None
    score = score_num(z, m)
    best = (score, z.copy())
    for step in range(steps):
        t = temp * (1 - step / steps)
        a = 1 + rng.integers(2)
        pool = np.union1d(m[a], np.flatnonzero(intended & (arm == a)))
        r = pool[rng.integers(pool.size)]
        j = rng.integers(z.shape[1])
        c = z.copy()
        v = c[r, j]
        if j in (1, 4):
            c[r, j] = 1 - v
        elif j == 3:
            c[r, j] = rng.choice([e for e in (0, 1, 2) if e != v])
        elif j == 5:
            c[r, j] = rng.choice([e for e in (1, 2, 3) if e != v])
        elif j == 7:
            c[r, j] = rng.choice([e for e in (1, 2, 3, 4) if e != v])
        elif j == 6:
            c[r, j] = np.clip(np.round(v * np.exp(rng.normal(0, 0.25)), 1), 1.0, 9.0)
        elif j == 8:
            c[r, j] = np.clip(v + rng.integers(-5, 6), 3, 50)
        elif j == 0:
            c[r, j] = np.clip(np.round(v + rng.normal(0, 3.0), 1), 40, 85)
        else:
            c[r, j] = np.clip(np.round(v + rng.normal(0, 1.0), 1), 15.5, 28)
        m2 = psm_num(c, arm)
        if m2 is None:
            continue
        s2 = score_num(c, m2)
        if s2 <= score or (t > 0 and rng.random() < np.exp((score - s2) / t)):
            z, m, score = c, m2, s2
            if score < best[0]:
                best = (score, z.copy())
    z = best[1]
    return from_num(pats, z), best[0]


# ========================================================================================
# Survival outcomes
# ========================================================================================
END = pd.Timestamp("2020-12-31")        # "follow-up ... was stopped on December 2020"
MONTH = 30.4375                          # days per month
FIRST = pd.Timestamp("2014-03-01")       # earliest start of treatment for liver metastases

# Table 3 (published): outcome (months), status and recurrence; PFS times are synthetic,
# chosen so that the KM median PFS is 16.5 months (the 4th event at 13 leaves S = 0.5,
# the 5th is at 20: (13 + 20) / 2) and hepatic recurrences fall on scheduled scans.
HIFU_OUTCOME = pd.DataFrame({
    "table3_no": [1, 2, 3, 4, 5, 6, 7, 8],
    "os_months": [24, 44, 44, 41, 29, 26, 11, 6],
    "died": [1, 0, 0, 0, 0, 0, 1, 0],
    "pfs_months": [13, 25, 13, 20, 29, 26, 6, 4],
    "progressed": [1, 1, 1, 1, 0, 0, 1, 1],
    "recurrence": ["hepatic", "extrahepatic", "hepatic", "extrahepatic", "none", "none",
                   "extrahepatic", "hepatic"],
    "table3_response": ["PR", "CR", "CR", "CR", "CR", "CR", "SD", "PR"],
    "hifu_treatment": ["HIFU", "HIFU", "TACE + HIFU", "HIFU", "HIFU", "HIFU", "TACE + HIFU",
                       "HIFU"],
    "prior_lm_therapy": ["", "", "", "RFA", "RFA; TACE", "SOX", "", "SOX"],
    "systemic_after_hifu": ["Tegafur", "Tegafur", "", "Paclitaxel + Tegafur", "Tegafur", "SOX",
                            "Nab-paclitaxel + Tegafur", ""],
    # two patients who died: start dates chosen (the alive ones follow from December 2020)
    "start_date": [pd.Timestamp("2016-05-16"), None, None, None, None, None,
                   pd.Timestamp("2018-09-03"), None],
})

# Matched comparators (synthetic): (best response, PFS months, PFS event, OS months, died).
# BSC: KM medians PFS 2, OS 7 (7 deaths by 6 months leave S = 9/16, two at 7 -> 7/16);
# one patient alive at 15 months; everybody progresses (best response PD).
BSC_DESIGN = [("PD", p, 1, o, d) for p, o, d in zip(
    [1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4],
    [3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 10, 12, 13, 15],
    [1] * 15 + [0])]
# PC: 3 CR, 6 PR, 3 SD, 4 PD; KM median PFS 5 (S = 12/16 after 4 months, 7/16 at 5) and
# OS 11.5 (S = 8/16 exactly from 11 to the next death at 12); 4 alive, 1 without recurrence.
PC_DESIGN = [
    ("PD", 1, 1, 4, 1), ("PD", 2, 1, 6, 1), ("PD", 3, 1, 7, 1), ("PD", 4, 1, 8, 1),
    ("SD", 5, 1, 9, 1), ("SD", 5, 1, 10, 1), ("SD", 7, 1, 10, 1),
    ("PR", 5, 1, 11, 1), ("PR", 5, 1, 12, 1), ("PR", 5, 1, 14, 1), ("PR", 7, 1, 16, 1),
    ("PR", 8, 1, 19, 1), ("PR", 10, 1, 13, 0),
    ("CR", 13, 1, 15, 0), ("CR", 16, 1, 18, 0), ("CR", 20, 0, 20, 0),
]
BOR_RANK = {"CR": 0, "PR": 1, "SD": 2, "PD": 3}


def _days(months):
    return int(round(months * MONTH))


def _prognosis(d):
    """Higher = worse (used only to give the worse synthetic outcomes to sicker patients)."""
    return (d["ecog"] * 1.0 + (d["n_liver_lesions"] - 1) * 0.5 + d["largest_lesion_cm"] * 0.15
            + (d["child_pugh"] == "B") * 0.5 + (d["age"] - 60) * 0.02 + d["tnm_stage"] * 0.2)


def _start_for(rng, os_m, died):
    if not died:
        return END - pd.Timedelta(days=_days(os_m))
    latest = END - pd.Timedelta(days=_days(os_m) + 1)
    span = (latest - FIRST).days
    return FIRST + pd.Timedelta(days=int(rng.integers(0, span)))


def outcomes(rng, pats, matched):
    """PFS/OS for every patient; designed for the matched 40, drawn for the others."""
    pats = pats.copy()
    for c in ("best_response", "pfs_months", "progressed", "os_months", "died", "start_date",
              "recurrence"):
        pats[c] = None
    # HIFU: published
    h = HIFU_OUTCOME.set_index("table3_no")
    for r in np.flatnonzero(pats["arm"].to_numpy() == "HIFU"):
        no = int(pats.at[r, "table3_no"])
        row = h.loc[no]
        start = row["start_date"] if pd.notna(row["start_date"]) else (
            END - pd.Timedelta(days=_days(row["os_months"])))
        pats.loc[r, ["best_response", "pfs_months", "progressed", "os_months", "died",
                     "start_date", "recurrence"]] = [row["table3_response"], row["pfs_months"],
                                                     row["progressed"], row["os_months"],
                                                     row["died"], start, row["recurrence"]]
    for arm, plan in (("BSC", BSC_DESIGN), ("PC", PC_DESIGN)):
        rows = np.flatnonzero(pats["id"].isin(matched[arm]).to_numpy())
        prog = _prognosis(pats.iloc[rows]).to_numpy() + rng.normal(0, 0.3, rows.size)
        worst_first = rows[np.argsort(-prog)]
        plan_sorted = sorted(plan, key=lambda t: (t[3], t[1]))   # shortest OS first
        for r, (bor, pfs, prog_ev, os_m, died) in zip(worst_first, plan_sorted):
            site = "none" if not prog_ev else ("hepatic" if rng.random() < 0.6 else
                                               "extrahepatic")
            pats.loc[r, ["best_response", "pfs_months", "progressed", "os_months", "died",
                         "start_date", "recurrence"]] = [bor, pfs, prog_ev, os_m, died,
                                                         _start_for(rng, os_m, died), site]
    # Everybody else (unmatched comparators): exponential times scaled by prognosis.
    rest = np.flatnonzero(pats["best_response"].isna().to_numpy())
    for r in rest:
        arm = pats.at[r, "arm"]
        risk = float(np.exp(0.35 * (_prognosis(pats.iloc[r]) - 2.0)))
        os_med, pfs_med = (7.5, 2.5) if arm == "BSC" else (13.0, 8.0)
        os_c = rng.exponential(os_med / np.log(2) / risk)
        pfs_c = min(rng.exponential(pfs_med / np.log(2) / risk), os_c)
        os_m = max(1, int(np.ceil(os_c)))
        pfs_m = max(1, min(int(np.ceil(pfs_c)), os_m))
        start = FIRST + pd.Timedelta(days=int(rng.integers(0, (END - FIRST).days - 60)))
        avail = int((END - start).days // MONTH)
        died = 1
        if os_m > avail:                      # administrative censoring, December 2020
            os_m, died = avail, 0
        prog_ev = 1
        if pfs_m > avail or (pfs_m == os_m and not died):
            pfs_m, prog_ev = min(pfs_m, os_m), 0
        if died and pfs_m >= os_m and os_m > 1:
            pfs_m = os_m - 1                  # progression seen on a scan before death
        # best response, consistent with the scan schedule (day 30, then every 3 months;
        # SD counts from 6 weeks, so it needs a non-PD scan at month 4)
        long = pfs_m >= 5 or (not prog_ev and pfs_m >= 4)
        u = rng.random()
        if os_m <= 1 and died:
            bor = "NE"
        elif arm == "BSC":
            bor = "SD" if long else "PD"
        elif long:
            bor = "CR" if u < 0.10 else ("PR" if u < 0.55 else "SD")
        elif pfs_m >= 2:
            bor = "PR" if u < 0.35 else "PD"
        else:
            bor = "PD"
        site = "none" if not prog_ev else ("hepatic" if rng.random() < 0.6 else "extrahepatic")
        pats.loc[r, ["best_response", "pfs_months", "progressed", "os_months", "died",
                     "start_date", "recurrence"]] = [bor, pfs_m, prog_ev, os_m, died, start, site]
    for c in ("pfs_months", "progressed", "os_months", "died"):
        pats[c] = pats[c].astype(int)
    pats["start_date"] = pd.to_datetime(pats["start_date"])
    return pats


# ========================================================================================
# Lesion measurements
# ========================================================================================
SEGMENTS = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"]
# Table 2 (published): patients of the matched arms with a lesion in each liver segment.
SEGMENT_COUNTS = {"HIFU": [0, 1, 1, 1, 1, 4, 1, 2], "BSC": [2, 1, 1, 5, 3, 7, 1, 2],
                  "PC": [1, 3, 2, 1, 4, 6, 3, 4]}
EXTRAHEPATIC = ["lymph_node", "peritoneum", "lung", "bone"]


def _segments(rng, n_lesions, counts):
    """Segments per patient so that the patient-segment pairs match Table 2's counts."""
    n = np.asarray(n_lesions)
    total = int(sum(counts))
    k = np.ones(n.size, int)                  # distinct segments per patient
    while k.sum() < total:
        room = np.flatnonzero(k < n)
        k[room[rng.integers(room.size)]] += 1
    left = np.array(counts)
    chosen = [[] for _ in range(n.size)]
    for i in np.argsort(-k, kind="stable"):
        for _ in range(k[i]):
            ok = [s for s in range(8) if left[s] > 0 and s not in chosen[i]]
            s = max(ok, key=lambda s: (left[s], -s))
            chosen[i].append(s)
            left[s] -= 1
    out = []
    for i in range(n.size):
        segs = list(chosen[i])
        while len(segs) < n[i]:                 # further lesions share a segment
            segs.append(segs[rng.integers(len(segs))])
        out.append([SEGMENTS[s] for s in segs])
    return out


def _visit_months(pfs_m, progressed, os_m):
    """Scheduled scans: day 30, then every 3 months; PD scan at the PFS time."""
    sched = [1 + 3 * k for k in range(40)]
    if progressed:
        vis = [m for m in sched if m < pfs_m] + [pfs_m]
    else:
        vis = [m for m in sched if m <= os_m]
    return vis


def _row(pid, date, visit, lesion, kind, organ, segment, diam, viable, status, vstatus):
    return {"id": pid, "date": date.strftime("%Y-%m-%d"), "visit": visit, "lesion": lesion,
            "kind": kind, "organ": organ, "segment": segment, "diameter_mm": diam,
            "viable_mm": viable, "status": status, "viable_status": vstatus}


def _baseline_sizes(rng, largest_cm, n):
    big = int(round(largest_cm * 10))
    others = sorted(rng.integers(10, max(11, big + 1), n - 1).tolist(), reverse=True)
    return [big] + [min(o, big) for o in others]


def _comparator_lesions(rng, p, segs):
    """RECIST lesion table of a BSC/PC patient following its designed best response."""
    pid, start = p["id"], p["start_date"]
    base = _baseline_sizes(rng, p["largest_lesion_cm"], int(p["n_liver_lesions"]))
    names = [f"L{i + 1}" for i in range(len(base))]
    kinds = ["target" if i < 2 else "non_target" for i in range(len(base))]
    rows = []
    bdate = start - pd.Timedelta(days=int(rng.integers(3, 15)))
    for nm, kd, d, sg in zip(names, kinds, base, segs):
        rows.append(_row(pid, bdate, "baseline", nm, kd, "liver", sg, d, None, "present", None))
    if p["best_response"] == "NE":
        return rows
    months = _visit_months(p["pfs_months"], p["progressed"], p["os_months"])
    bor = p["best_response"]
    tsum0 = sum(d for d, k in zip(base, kinds) if k == "target")
    nadir, f_prev = 1.0, 1.0
    for j, m in enumerate(months):
        is_pd = bool(p["progressed"]) and j == len(months) - 1
        date = start + pd.Timedelta(days=_days(m))
        visit = f"month {m}" if m != 1 else "day 30"
        if (m - 1) % 3 != 0:
            visit = "unscheduled"
        cr = False
        if bor == "CR" and j >= 1:
            f, cr = 0.0, True
        elif bor in ("CR", "PR"):
            f = 0.62 if j == 0 else max(0.35, 0.62 - 0.07 * j)
        elif bor == "SD":
            f = float(np.clip(rng.uniform(0.85, 1.05), 0.75, 1.12 * nadir))
        else:
            f = float(np.clip(rng.uniform(0.97, 1.08), 0.9, 1.12 * nadir))
        new = None
        if is_pd:
            growth_ok = not (bor in ("CR",)) and p["recurrence"] != "extrahepatic"
            if growth_ok and (bor in ("PD", "SD") or rng.random() < 0.5):
                f = max(1.3 * nadir, nadir + 6.0 / tsum0 + 0.02)
                cr = False
            else:
                f = f_prev if not cr else 0.0
                organ = "liver" if p["recurrence"] != "extrahepatic" else \
                    EXTRAHEPATIC[rng.integers(len(EXTRAHEPATIC))]
                new = organ
        for nm, kd, d, sg in zip(names, kinds, base, segs):
            if kd == "target":
                val = int(round(d * f))
                rows.append(_row(pid, date, visit, nm, kd, "liver", sg, val, None,
                                 "absent" if val == 0 else "present", None))
            else:
                val = 0 if cr else int(round(d * max(f, 0.5)))
                rows.append(_row(pid, date, visit, nm, kd, "liver", sg, val, None,
                                 "absent" if cr else "present", None))
        if new:
            seg = SEGMENTS[rng.integers(8)] if new == "liver" else ""
            rows.append(_row(pid, date, visit, "N1", "new", new, seg,
                             int(rng.integers(12, 26)), None, "present", None))
        nadir = min(nadir, f)
        f_prev = f
    return rows


# HIFU lesions (synthetic sizes around the published largest size; mRECIST viable diameters
# give the published day-30 responses): per patient, per lesion (kind, baseline mm,
# viable mm at day 30 and after).
HIFU_LESIONS = {
    1: [("target", 26, 0), ("target", 18, 9), ("non_target", 12, 6)],       # PR
    2: [("target", 15, 0)],                                                 # CR
    3: [("target", 19, 0), ("target", 14, 0)],                              # CR
    4: [("target", 12, 0)],                                                 # CR
    5: [("target", 18, 0)],                                                 # CR
    6: [("target", 34, 0)],                                                 # CR
    7: [("target", 88, 70)],                                                # SD
    8: [("target", 21, 0), ("target", 15, 15), ("non_target", 11, 0)],     # PR
}
HIFU_NEW = {1: ("liver", 16), 2: ("lymph_node", 17), 3: ("liver", 13), 4: ("peritoneum", 20),
            7: ("lung", 14), 8: ("liver", 12)}


def _hifu_lesions(rng, p, segs):
    pid, start, no = p["id"], p["start_date"], int(p["table3_no"])
    spec = HIFU_LESIONS[no]
    rows = []
    bdate = start - pd.Timedelta(days=int(rng.integers(3, 10)))
    for i, ((kd, d, _), sg) in enumerate(zip(spec, segs)):
        rows.append(_row(pid, bdate, "baseline", f"L{i + 1}", kd, "liver", sg, d, d,
                         "present", "present"))
    months = _visit_months(p["pfs_months"], p["progressed"], p["os_months"])
    for j, m in enumerate(months):
        is_pd = bool(p["progressed"]) and j == len(months) - 1
        date = start + pd.Timedelta(days=_days(m))
        visit = "day 30" if m == 1 else (f"month {m}" if (m - 1) % 3 == 0 else "unscheduled")
        # the ablation zone: slightly larger than the tumour at day 30 (5 mm margin), then
        # involutes by ~10% every 3 months (RECIST sees little change early on)
        zone = 1.05 * 0.9 ** j
        for i, ((kd, d, v), sg) in enumerate(zip(spec, segs)):
            viable = v if j == 0 else (int(round(v * 0.97)) if v else 0)
            diam = int(round(d * max(zone, 0.4)))
            rows.append(_row(pid, date, visit, f"L{i + 1}", kd, "liver", sg, diam, viable,
                             "present", "absent" if viable == 0 else "present"))
        if is_pd:
            organ, size = HIFU_NEW[no]
            seg = SEGMENTS[rng.integers(8)] if organ == "liver" else ""
            rows.append(_row(pid, date, visit, "N1", "new", organ, seg, size, size,
                             "present", "present"))
    return rows


def lesions(rng, pats, matched):
    matched_ids = set().union(*[set(v) for v in matched.values()])
    segs = {}
    for arm in ("HIFU", "BSC", "PC"):
        d = pats[pats["id"].isin(matched[arm])]
        for pid, sg in zip(d["id"], _segments(rng, d["n_liver_lesions"], SEGMENT_COUNTS[arm])):
            segs[pid] = sg
    rows = []
    for _, p in pats.iterrows():
        sg = segs.get(p["id"])
        if sg is None:
            sg = [SEGMENTS[s] for s in rng.integers(0, 8, int(p["n_liver_lesions"]))]
        if p["arm"] == "HIFU":
            rows += _hifu_lesions(rng, p, sg)
        else:
            rows += _comparator_lesions(rng, p, sg)
    out = pd.DataFrame(rows)
    out["viable_mm"] = out["viable_mm"].astype("Int64")
    return out


# ========================================================================================
# Response (RECIST 1.1 / mRECIST, unconfirmed best response, SD from 6 weeks)
# ========================================================================================
def timepoint_responses(les, starts, *, viable=False):
    col = "viable_mm" if viable else "diameter_mm"
    scol = "viable_status" if viable else "status"
    out = []
    for pid, d in les.groupby("id", sort=False):
        base_date = d["date"].min()
        tg = d[(d["kind"] == "target")]
        base = tg[tg["date"] == base_date][col].astype(float).sum()
        nadir = base
        for date, v in d[d["date"] > base_date].groupby("date"):
            tsum = float(v.loc[v["kind"] == "target", col].astype(float).sum())
            nt = v.loc[v["kind"] == "non_target", scol]
            new = (v["kind"] == "new").any()
            grow = tsum >= 1.2 * nadir and (viable or tsum - nadir >= 5)
            if new or (grow and not (tsum == 0 and nadir == 0)):
                r = "PD"
            elif tsum == 0:
                r = "CR" if (nt == "absent").all() else "PR"
            elif tsum <= 0.7 * base:
                r = "PR"
            else:
                r = "SD"
            nadir = min(nadir, tsum)
            day = (pd.Timestamp(date) - starts[pid]).days
            out.append((pid, day, r))
    return pd.DataFrame(out, columns=["id", "day", "response"])


def best_response(tp, ids, min_sd_days=42):
    best = {}
    for pid in ids:
        d = tp[tp["id"] == pid].sort_values("day")
        resp, days = d["response"].tolist(), d["day"].tolist()
        if "PD" in resp:
            k = resp.index("PD")
            resp, days = resp[:k + 1], days[:k + 1]
        if "CR" in resp:
            b = "CR"
        elif "PR" in resp:
            b = "PR"
        elif any(r == "SD" and dd >= min_sd_days for r, dd in zip(resp, days)):
            b = "SD"
        elif "PD" in resp:
            b = "PD"
        else:
            b = "NE"
        best[pid] = b
    return best


# ========================================================================================
# Adverse events (CTCAE 4.0 terms)
# ========================================================================================
# HIFU (published counts: 4 patients; pain 3, fatigue 3; fever, ALT/AST increased, skin
# edema; no grade >= 3). Which patients and grades are synthetic.
HIFU_AES = {
    7: [("Abdominal pain", "Pain", 2, 1), ("Fatigue", "Fatigue", 1, 2), ("Fever", "Fever", 1, 1)],
    1: [("Abdominal pain", "Pain", 1, 1), ("Fatigue", "Fatigue", 1, 3),
        ("Alanine aminotransferase increased", "Increased ALT/AST", 1, 3),
        ("Aspartate aminotransferase increased", "Increased ALT/AST", 1, 3)],
    8: [("Abdominal pain", "Pain", 1, 1), ("Localized edema", "Skin edema", 1, 1)],
    3: [("Fatigue", "Fatigue", 1, 2)],
}
PC_TERMS = {  # CTCAE 4.0 term -> the paper's wording
    "Nausea": "Nausea/vomiting", "Vomiting": "Nausea/vomiting", "Abdominal pain": "Pain",
    "Fatigue": "Fatigue", "Diarrhea": "Diarrhea", "Constipation": "Constipation",
    "Peripheral sensory neuropathy": "Peripheral neuropathy", "Anemia": "Anemia",
    "White blood cell decreased": "Leukopenia",
    "Alanine aminotransferase increased": "Increased ALT/AST",
    "Aspartate aminotransferase increased": "Increased ALT/AST",
    "Neutrophil count decreased": "Neutropenia", "Platelet count decreased": "Thrombocytopenia",
}
# Matched PC: 10 of 16 with any AE, 4 of 16 grade 3-4 (nausea/vomiting, leukopenia,
# neutropenia, thrombocytopenia). Nausea/vomiting, pain and fatigue the most common.
PC_AES = [
    [("Nausea", 3), ("Vomiting", 3), ("Fatigue", 2)],
    [("White blood cell decreased", 3), ("Neutrophil count decreased", 4), ("Fatigue", 1)],
    [("Platelet count decreased", 3), ("Anemia", 2), ("Nausea", 1)],
    [("Neutrophil count decreased", 3), ("White blood cell decreased", 3), ("Nausea", 2)],
    [("Nausea", 2), ("Vomiting", 1), ("Abdominal pain", 1)],
    [("Abdominal pain", 2), ("Peripheral sensory neuropathy", 1), ("Diarrhea", 1)],
    [("Fatigue", 2), ("Constipation", 1), ("Abdominal pain", 1)],
    [("Nausea", 1), ("Peripheral sensory neuropathy", 2), ("Anemia", 1)],
    [("Abdominal pain", 1), ("Alanine aminotransferase increased", 1),
     ("Aspartate aminotransferase increased", 1), ("Diarrhea", 2)],
    [("Fatigue", 1), ("Constipation", 1)],
]
BSC_TERMS = [("Abdominal pain", "Pain"), ("Fatigue", "Fatigue"), ("Anorexia", "Anorexia"),
             ("Ascites", "Ascites"), ("Edema limbs", "Edema"), ("Nausea", "Nausea/vomiting")]


def adverse_events(rng, pats, matched):
    rows = []

    def add(pid, term, grade, attribution, onset, category=None):
        rows.append({"id": pid, "term": term, "category": category or PC_TERMS.get(term, term),
                     "grade": int(grade), "attribution": attribution, "onset_day": int(onset)})

    hifu = pats[pats["arm"] == "HIFU"].set_index("table3_no")
    for no, evs in HIFU_AES.items():
        for term, cat, grade, onset in evs:
            add(hifu.at[no, "id"], term, grade, "HIFU (probable)", onset, cat)
    pc = pats[pats["id"].isin(matched["PC"])].copy()
    # the four grade 3-4 patients among the first chemotherapy cycles; any order is fine
    order = rng.permutation(pc["id"].to_numpy())
    for pid, evs in zip(order[:len(PC_AES)], PC_AES):
        for term, grade in evs:
            add(pid, term, grade, "chemotherapy (probable)", rng.integers(3, 60))
    # unmatched PC: similar rates (any grade ~60%, grade 3-4 ~25%)
    for pid in pats.loc[(pats["arm"] == "PC") & ~pats["id"].isin(matched["PC"]), "id"]:
        if rng.random() < 0.6:
            terms = rng.choice(list(PC_TERMS), int(rng.integers(1, 4)), replace=False)
            severe = rng.random() < 0.4
            for k, term in enumerate(terms):
                grade = int(rng.choice([3, 4], p=[0.8, 0.2])) if severe and k == 0 and term in (
                    "Nausea", "Vomiting", "White blood cell decreased", "Neutrophil count decreased",
                    "Platelet count decreased", "Anemia", "Diarrhea") else int(rng.choice([1, 2]))
                add(pid, term, grade, "chemotherapy (probable)", rng.integers(3, 90))
    # BSC: symptoms of the disease, not treatment related
    for pid in pats.loc[pats["arm"] == "BSC", "id"]:
        if rng.random() < 0.45:
            for idx in rng.choice(len(BSC_TERMS), int(rng.integers(1, 3)), replace=False):
                term, cat = BSC_TERMS[idx]
                add(pid, term, int(rng.choice([1, 2, 3], p=[0.5, 0.4, 0.1])),
                    "disease (unrelated to treatment)", rng.integers(5, 120), cat)
    return pd.DataFrame(rows)


# ========================================================================================
# Screening (eligibility flow, Fig. 1)
# ========================================================================================
# Published: 960 gastrectomies, 331 with liver metastasis, 172 eligible (8/55/109).
# The paper gives no count per exclusion; these are our choices (they add up to 159).
EXCLUSIONS = [("refused", 16), ("pathology", 12), ("more_than_3_liver_metastases", 68),
              ("lost_or_incomplete", 33), ("ecog_above_2", 30)]


def screening(rng, pats):
    n_all, n_lm = 960, 331
    lm = np.zeros(n_all, int)
    lm[rng.choice(n_all, n_lm, replace=False)] = 1
    dates = np.sort(pd.Timestamp("2014-01-02").value + rng.random(n_all)
                    * (pd.Timestamp("2019-12-28").value - pd.Timestamp("2014-01-02").value))
    df = pd.DataFrame({"id": [f"G{i:04d}" for i in range(1, n_all + 1)],
                       "gastrectomy_date": pd.to_datetime(dates).strftime("%Y-%m-%d"),
                       "liver_metastasis": lm})
    for c in ("refused", "non_adenocarcinoma", "primary_liver_cancer", "n_liver_lesions",
              "lost_to_follow_up", "ecog"):
        df[c] = pd.array([pd.NA] * n_all, dtype="Int64")
    df["arm"] = ""
    lm_rows = rng.permutation(np.flatnonzero(lm == 1))
    step = {}
    k = 0
    for name, n in EXCLUSIONS:
        step[name] = lm_rows[k:k + n]
        k += n
    eligible = lm_rows[k:]
    assert eligible.size == 172
    # default values for everybody with liver metastasis (passes every criterion)
    r = np.flatnonzero(lm == 1)
    df.loc[r, ["refused", "non_adenocarcinoma", "primary_liver_cancer", "lost_to_follow_up"]] = 0
    df.loc[r, "n_liver_lesions"] = rng.integers(1, 4, r.size)
    df.loc[r, "ecog"] = rng.choice([0, 1, 2], r.size, p=[0.3, 0.5, 0.2])
    # each excluded patient meets its criterion; some also meet later ones (applied in order)
    df.loc[step["refused"], "refused"] = 1
    path = step["pathology"]
    df.loc[path[:8], "non_adenocarcinoma"] = 1
    df.loc[path[8:], "primary_liver_cancer"] = 1
    df.loc[step["more_than_3_liver_metastases"], "n_liver_lesions"] = rng.integers(
        4, 11, step["more_than_3_liver_metastases"].size)
    df.loc[step["lost_or_incomplete"], "lost_to_follow_up"] = 1
    df.loc[step["ecog_above_2"], "ecog"] = rng.choice([3, 4], step["ecog_above_2"].size,
                                                      p=[0.8, 0.2])
    early = np.concatenate([step["refused"], step["pathology"]])
    df.loc[early[:6], "n_liver_lesions"] = rng.integers(4, 9, 6)    # overlaps
    df.loc[early[6:9], "ecog"] = 3
    # the 172 eligible patients carry the values of patients.csv (gastrectomy before start)
    elig = df.iloc[eligible].sort_values("gastrectomy_date").index.to_numpy()
    p = pats.sort_values("start_date").reset_index(drop=True)
    # earliest gastrectomies to the earliest starts (keeps gastrectomy before treatment)
    ids = df.loc[elig, "id"].to_numpy()
    mapping = dict(zip(p["id"], ids))
    df.loc[elig, "n_liver_lesions"] = p["n_liver_lesions"].to_numpy()
    df.loc[elig, "ecog"] = p["ecog"].to_numpy()
    df.loc[elig, "arm"] = p["arm"].to_numpy()
    # surgery precedes treatment of the liver metastases
    start = pd.to_datetime(p["start_date"]).to_numpy()
    gast = pd.to_datetime(df.loc[elig, "gastrectomy_date"]).to_numpy()
    late = gast >= start - np.timedelta64(20, "D")
    back = rng.integers(30, 240, late.sum()).astype("timedelta64[D]")
    gast[late] = np.maximum(start[late] - back, np.datetime64("2014-01-02"))
    df.loc[elig, "gastrectomy_date"] = pd.to_datetime(gast).strftime("%Y-%m-%d")
    return df, mapping


def flow(screen):
    """Apply the criteria in order; the counts of Fig. 1."""
    d = screen
    out = [("gastrectomy for gastric cancer, 2014-2019", len(d))]
    d = d[d["liver_metastasis"] == 1]
    out.append(("liver metastasis", len(d)))
    rules = [
        ("excluded: refused to participate", lambda d: d["refused"] == 0),
        ("excluded: not adenocarcinoma / primary liver cancer",
         lambda d: (d["non_adenocarcinoma"] == 0) & (d["primary_liver_cancer"] == 0)),
        ("excluded: more than 3 liver metastases", lambda d: d["n_liver_lesions"] <= 3),
        ("excluded: lost to follow-up / incomplete data", lambda d: d["lost_to_follow_up"] == 0),
        ("excluded: ECOG > 2", lambda d: d["ecog"] <= 2)]
    for label, rule in rules:
        keep = rule(d).fillna(False).to_numpy(bool)
        out.append((label, int((~keep).sum())))
        d = d[keep]
    out.append(("eligible", len(d)))
    for a in ("HIFU", "BSC", "PC"):
        out.append((f"  {a}", int((d["arm"] == a).sum())))
    return out


# ========================================================================================
# Summaries (numpy/pandas only; --check repeats them with oncostat)
# ========================================================================================
def km_median(time, event):
    """Kaplan-Meier median with R's rule (midpoint where the curve sits exactly at 0.5)."""
    t = np.asarray(time, float)
    e = np.asarray(event, int)
    s, times, surv = 1.0, [], []
    for u in np.unique(t[e == 1]):
        n = (t >= u).sum()
        d = ((t == u) & (e == 1)).sum()
        s *= 1 - d / n
        times.append(u)
        surv.append(s)
    for i, (u, v) in enumerate(zip(times, surv)):
        if abs(v - 0.5) < 1e-12:
            return (u + times[i + 1]) / 2 if i + 1 < len(times) else float("nan")
        if v < 0.5:
            return u
    return float("nan")


COVARIATES = ["age", "sex", "bmi", "ecog", "child_pugh", "lm_timing", "n_liver_lesions",
              "largest_lesion_cm", "tnm_stage", "lymph_nodes"]
HERE = Path(__file__).resolve().parent
COVARIATE_SEED, ANNEAL = 231, ((231, 20000, 0.0), (4, 40000, 0.5))
OUTCOME_SEED = 2021


def build():
    pats = covariates(COVARIATE_SEED, q=0.8)
    for seed, steps, temp in ANNEAL:
        pats, _ = refine(pats, seed, steps, temp)
    return pats


def finish(pats):
    """Outcomes, lesions, AEs and screening for annealed covariates; returns the tables."""
    pats = pats.copy()
    matched, ok = psm(pats)
    assert ok and [len(matched[a]) for a in ("HIFU", "BSC", "PC")] == [8, 16, 16], matched
    pats["table3_no"] = pd.array([pd.NA] * len(pats), dtype="Int64")
    pats.loc[:7, "table3_no"] = np.arange(1, 9)
    info = HIFU_OUTCOME.set_index("table3_no")
    rng = np.random.default_rng(OUTCOME_SEED)
    pats = outcomes(rng, pats, matched)
    for c in ("hifu_treatment", "prior_lm_therapy", "systemic_after_hifu"):
        pats[c] = ""
        pats.loc[:7, c] = info[c].to_numpy()
    les = lesions(rng, pats, matched)
    aes = adverse_events(rng, pats, matched)
    screen, mapping = screening(rng, pats)
    for t in (pats, les, aes):
        t["id"] = t["id"].map(mapping)
    matched = {a: sorted(mapping[i] for i in v) for a, v in matched.items()}
    cols = ["id", "arm", "table3_no", "age", "sex", "bmi", "ecog", "child_pugh", "lm_timing",
            "n_liver_lesions", "largest_lesion_cm", "tnm_stage", "lymph_nodes",
            "chemo_before_surgery", "comorbidity", "hifu_treatment", "prior_lm_therapy",
            "systemic_after_hifu", "start_date", "pfs_months", "progressed", "os_months",
            "died", "recurrence"]
    design_bor = dict(zip(pats["id"], pats["best_response"]))
    pats = pats[cols].sort_values("id").reset_index(drop=True)
    pats["start_date"] = pats["start_date"].dt.strftime("%Y-%m-%d")
    les = les.sort_values(["id", "date", "lesion"], kind="stable").reset_index(drop=True)
    aes = aes.sort_values(["id", "onset_day", "term"], kind="stable").reset_index(drop=True)
    return pats, les, aes, screen, matched, design_bor


def summary(pats, les, aes, screen, matched):
    """Rows (quantity, published target, generated) for the README."""
    rows = []
    add = lambda q, t, g: rows.append((q, str(t), str(g)))  # noqa: E731
    fl = dict(flow(screen))
    add("gastrectomies / with liver metastasis / eligible", "960 / 331 / 172",
        f"{fl['gastrectomy for gastric cancer, 2014-2019']} / {fl['liver metastasis']} / "
        f"{fl['eligible']}")
    add("eligible HIFU / BSC / PC", "8 / 55 / 109",
        " / ".join(str(fl[f'  {a}']) for a in ("HIFU", "BSC", "PC")))
    add("matched 1:2:2 (HIFU / BSC / PC)", "8 / 16 / 16",
        " / ".join(str(len(matched[a])) for a in ("HIFU", "BSC", "PC")))
    mids = set().union(*map(set, matched.values()))
    mp = pats[pats["id"].isin(mids)]
    fmt = lambda v: "not reached" if np.isnan(v) else f"{v:g}"  # noqa: E731
    for what, t, e, target in (("PFS", "pfs_months", "progressed", "16.5 / 2 / 5"),
                               ("OS", "os_months", "died", "27.5* / 7 / 11.5")):
        add(f"matched KM median {what}, months (HIFU / BSC / PC)", target, " / ".join(
            fmt(km_median(mp.loc[mp["arm"] == a, t], mp.loc[mp["arm"] == a, e]))
            for a in ("HIFU", "BSC", "PC")))
    h = mp[mp["arm"] == "HIFU"]
    add("HIFU plain median of the 8 OS times (the paper's 27.5)", "27.5",
        f"{h['os_months'].median():g}")
    for what, t, e in (("PFS", "pfs_months", "progressed"), ("OS", "os_months", "died")):
        add(f"all 172, KM median {what} (BSC / PC)", "not reported", " / ".join(
            fmt(km_median(pats.loc[pats["arm"] == a, t], pats.loc[pats["arm"] == a, e]))
            for a in ("BSC", "PC")))
    add("matched alive at end of follow-up (no recurrence)", "11 (3: 2 HIFU, 1 PC)",
        f"{(mp['died'] == 0).sum()} ({((mp['died'] == 0) & (mp['progressed'] == 0)).sum()}: "
        f"{((h['died'] == 0) & (h['progressed'] == 0)).sum()} HIFU, "
        f"{((mp['arm'] == 'PC') & (mp['died'] == 0) & (mp['progressed'] == 0)).sum()} PC)")
    add("matched deaths (HIFU / BSC / PC)", "29 (2 / 15 / 12)",
        f"{mp['died'].sum()} (" + " / ".join(str(mp.loc[mp['arm'] == a, 'died'].sum())
                                             for a in ("HIFU", "BSC", "PC")) + ")")
    add("median follow-up of the 40, months (range)", "10 (3-44)",
        f"{mp['os_months'].median():g} ({mp['os_months'].min()}-{mp['os_months'].max()})")
    ml = les[les["id"].isin(mids)]
    base = ml[ml["visit"] == "baseline"]
    add("lesions in the matched 40 (HIFU)", "70 (13)",
        f"{len(base)} ({len(base[base['id'].isin(matched['HIFU'])])})")
    starts = dict(zip(pats["id"], pd.to_datetime(pats["start_date"])))
    bor_r = best_response(timepoint_responses(les, starts), pats["id"])
    bor_m = best_response(timepoint_responses(les[les["id"].isin(matched["HIFU"])], starts,
                                              viable=True), matched["HIFU"])

    def counts(b, ids):
        s = pd.Series([b[i] for i in ids]).value_counts()
        return ", ".join(f"{int(s.get(k, 0))} {k}" for k in ("CR", "PR", "SD", "PD"))

    def orr(b, ids):
        pct = 100 * np.mean([b[i] in ("CR", "PR") for i in ids])
        return f"{np.floor(pct * 10 + 0.5) / 10:.1f}%"        # 56.25 -> 56.3, as the paper

    add("HIFU best response, mRECIST (ORR)", "5 CR, 2 PR, 1 SD, 0 PD (87.5%)",
        f"{counts(bor_m, matched['HIFU'])} ({orr(bor_m, matched['HIFU'])})")
    add("HIFU best response, RECIST 1.1 (not in the paper)", "-",
        f"{counts(bor_r, matched['HIFU'])} ({orr(bor_r, matched['HIFU'])})")
    add("matched PC best response, RECIST 1.1 (ORR)", "3 CR, 6 PR, 3 SD, 4 PD (56.3%)",
        f"{counts(bor_r, matched['PC'])} ({orr(bor_r, matched['PC'])})")
    add("matched BSC best response, RECIST 1.1", "all PD (16)", counts(bor_r, matched["BSC"]))
    ha = aes[aes["id"].isin(matched["HIFU"])]
    add("HIFU patients with any AE / pain / fatigue / grade >= 3", "4 / 3 / 3 / 0",
        f"{ha['id'].nunique()} / {ha.loc[ha['category'] == 'Pain', 'id'].nunique()} / "
        f"{ha.loc[ha['category'] == 'Fatigue', 'id'].nunique()} / "
        f"{ha.loc[ha['grade'] >= 3, 'id'].nunique()}")
    pa = aes[aes["id"].isin(matched["PC"])]
    add("matched PC any-grade AE / grade 3-4", "10/16 (62.5%) / 4/16 (25%)",
        f"{pa['id'].nunique()}/16 ({100 * pa['id'].nunique() / 16:.1f}%) / "
        f"{pa.loc[pa['grade'].between(3, 4), 'id'].nunique()}/16 "
        f"({100 * pa.loc[pa['grade'].between(3, 4), 'id'].nunique() / 16:.1f}%)")
    g34 = sorted(pa.loc[pa["grade"] >= 3, "category"].unique())
    add("matched PC grade 3-4 terms", "nausea/vomiting, leukopenia, neutropenia, "
        "thrombocytopenia", ", ".join(g34))
    # Table 1/2 of the matched comparators
    for arm in ("BSC", "PC"):
        d = pats[pats["id"].isin(matched[arm])]
        sp = MATCHED[arm]
        add(f"matched {arm}: male; ECOG 0/1/2; Child-Pugh B; synchronous",
            f"{sp['male']}; {'/'.join(map(str, sp['ecog']))}; {sp['cp_b']}; {sp['sync']}",
            f"{(d['sex'] == 'male').sum()}; "
            f"{'/'.join(map(str, np.bincount(d['ecog'], minlength=3)))}; "
            f"{(d['child_pugh'] == 'B').sum()}; {(d['lm_timing'] == 'synchronous').sum()}")
        add(f"matched {arm}: TNM I/II/III/IV; lesions 1/2/3",
            f"{'/'.join(map(str, sp['tnm']))}; {'/'.join(map(str, sp['lesions']))}",
            f"{'/'.join(map(str, np.bincount(d['tnm_stage'], minlength=5)[1:]))}; "
            f"{'/'.join(map(str, np.bincount(d['n_liver_lesions'], minlength=4)[1:]))}")
        q = lambda c: d[c].quantile([0.5, 0.25, 0.75]).round(1).tolist()  # noqa: E731
        add(f"matched {arm}: age; BMI; nodes median (IQR)",
            f"{sp['age'][0]} ({sp['age'][1]}-{sp['age'][2]}); {sp['bmi'][0]} ({sp['bmi'][1]}-"
            f"{sp['bmi'][2]}); {sp['nodes'][0]} ({sp['nodes'][1]}-{sp['nodes'][2]})",
            "; ".join(f"{a:g} ({b:g}-{c:g})" for a, b, c in
                      (q("age"), q("bmi"), q("lymph_nodes"))))
        add(f"matched {arm}: largest lesion cm, median (range)",
            f"{sp['size'][0]} ({sp['size'][1]}-{sp['size'][2]})",
            f"{d['largest_lesion_cm'].median():g} ({d['largest_lesion_cm'].min():g}-"
            f"{d['largest_lesion_cm'].max():g})")
    return rows


def check(pats, les, matched):
    """Repeat the matching, medians and responses with oncostat."""
    import warnings

    from oncostat.matching import match
    from oncostat.survival import kaplan_meier
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = match(pats, treatment="arm", focal="HIFU", covariates=COVARIATES,
                  ratio={"BSC": 2, "PC": 2}, caliper=0.2)
    print("oncostat match n_matched:", m.n_matched)
    same = all(sorted(m.sets.loc[m.sets["arm"] == a, "id"].unique()) == matched[a]
               for a in ("HIFU", "BSC", "PC"))
    print("same patients as generate.py's own matching:", same)
    mp = pats[pats["id"].isin(m.sets["id"].unique())]
    for t, e in (("pfs_months", "progressed"), ("os_months", "died")):
        km = kaplan_meier(mp, time=t, event=e, group="arm")
        print(t, km.medians.to_string(index=False))
    try:
        from oncostat.response import assess_response
    except ImportError:
        return
    ls = les.merge(pats[["id", "start_date"]], on="id")
    ls["lymph_node"] = ls["organ"] == "lymph_node"
    for arm, crit, diam, status in (("HIFU", "mRECIST", "viable_mm", "viable_status"),
                                    ("HIFU", "RECIST1.1", "diameter_mm", "status"),
                                    ("BSC", "RECIST1.1", "diameter_mm", "status"),
                                    ("PC", "RECIST1.1", "diameter_mm", "status")):
        d = ls[ls["id"].isin(matched[arm])]
        r = assess_response(d, patient="id", date="date", lesion="lesion", kind="kind",
                            diameter=diam, organ="organ", lymph_node="lymph_node",
                            status=status, criteria=crit, start="start_date", min_sd_weeks=6)
        print(arm, crit, r.best["best_response"].value_counts().to_dict())


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="also repeat matching, medians and responses with oncostat")
    ap.add_argument("--covariates", help=argparse.SUPPRESS)   # a pickled build() (testing)
    args = ap.parse_args(argv)
    import warnings
    warnings.simplefilter("ignore", RuntimeWarning)
    if args.covariates:
        pats = pd.read_pickle(args.covariates)
    else:
        print("annealing the comparators' covariates (a few minutes) ...", flush=True)
        pats = build()
    pats, les, aes, screen, matched, _ = finish(pats)
    pats.to_csv(HERE / "patients.csv", index=False)
    les.to_csv(HERE / "lesions.csv", index=False)
    aes.to_csv(HERE / "adverse_events.csv", index=False)
    screen.to_csv(HERE / "screening.csv", index=False)
    print("\n| quantity | published | generated |\n|---|---|---|")
    for q, t, g in summary(pats, les, aes, screen, matched):
        print(f"| {q} | {t} | {g} |")
    print("\nFlow:")
    for label, n in flow(screen):
        print(f"  {label}: {n}")
    if args.check:
        check(pats, les, matched)


if __name__ == "__main__":
    main()
