"""Write the decision, risk-of-bias and extraction files of the review_hcc example.

Two reviewers (XL and YW) screen every record independently, and a third (HZ) adjudicates
their conflicts; the same pair assess risk of bias (RoB 1) and settle disagreements in a
consensus file; XL extracts the outcome data. Every file here is INVENTED: the "truth"
is ``screening.csv`` (the settled decisions) and the counts and judgements of
``examples/hcc_hifu_rt``. The reviewers' departures from it are written out below, one
line each, so the kappa table of the report can be checked by hand:

* title/abstract: XL includes a conference abstract, the Wang 2016 abstract ("maybe")
  and an iodine-125 study that YW excludes; YW excludes two records XL includes (a
  non-randomised comparison and a Chinese article without abstract), marks a letter
  "maybe" and includes a systematic review "to check its references". Seven conflicts,
  HZ includes two of them.
* full text: YW includes a retrospective study, gives a different exclusion reason for
  the TACE trial and marks the ongoing registration "maybe". Three conflicts, all
  excluded by HZ.
* risk of bias: three domains differ; the consensus is the judgement of hcc_hifu_rt.

    python examples/review_hcc/simulate_reviewers.py
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
META = HERE.parent / "hcc_hifu_rt"

# record id -> (reviewer -> decision) where a reviewer departs from screening.csv
TA_DEPARTURES = {
    "WOS:000324411200233": {"XL": "include"},
    "WOS:000378001200101": {"XL": "maybe"},
    "2-s2.0-85049922331": {"XL": "include"},
    "WOS:000507331200008": {"YW": "exclude"},
    "RL02": {"YW": "exclude"},
    "29961510": {"YW": "maybe"},
    "33296101": {"YW": "include"},
}
TA_NOTES = {
    ("XL", "WOS:000324411200233"): "HIFU + RT in HCC; check design in full text",
    ("YW", "33296101"): "systematic review: check its reference list",
    ("YW", "RL02"): "no abstract; title only",
    ("YW", "29961510"): "letter on the Wang trial; may have extra data?",
}
# record id -> (reviewer -> (decision, reason))
FT_DEPARTURES = {
    "31544021": {"YW": ("include", "")},
    "28482117": {"YW": ("exclude", "No ultrasound-guided intervention")},
    "NCT09987654": {"YW": ("maybe", "")},
}
STUDY_RECORDS = {  # the main report of each included study (extraction's record_id)
    "Ke 2011": "2-s2.0-79960123456", "Ding 2016": "26954012", "Li 2014": "25102237",
    "Wang 2018": "29187311", "Zhou 2015": "26473390",
}
ROB_DEPARTURES = {  # (study, domain column) -> (assessor, judgement)
    ("Ding 2016", "allocation_concealment"): ("YW", "low"),
    ("Zhou 2015", "selective_reporting"): ("XL", "unclear"),
    ("Ke 2011", "blinding_outcome_assessment"): ("YW", "unclear"),
}
ROB_DOMAINS = {  # column of hcc_hifu_rt/risk_of_bias.csv -> RoB 1 domain
    "random_sequence_generation": "Random sequence generation",
    "allocation_concealment": "Allocation concealment",
    "blinding_participants_personnel": "Blinding of participants and personnel",
    "blinding_outcome_assessment": "Blinding of outcome assessment",
    "incomplete_outcome_data": "Incomplete outcome data",
    "selective_reporting": "Selective reporting",
    "other_bias": "Other bias",
}
ROB_SUPPORT = {
    "random_sequence_generation": "Method of sequence generation as reported",
    "allocation_concealment": "Concealment of the allocation sequence as reported",
    "blinding_participants_personnel": "Open-label: HIFU is visible to patient and staff",
    "blinding_outcome_assessment": "Tumour response read by radiologists",
    "incomplete_outcome_data": "Losses to follow-up per arm",
    "selective_reporting": "Outcomes compared with the methods section / registration",
    "other_bias": "Baseline comparability, funding",
}


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _clock(start: str, minutes: int) -> Callable[[], str]:
    t = datetime.fromisoformat(start)

    def tick() -> str:
        nonlocal t
        t += timedelta(minutes=minutes)
        return t.isoformat()
    return tick


def screening_files(truth: list[dict[str, str]]) -> None:
    ta = [r for r in truth if r["stage"] == "title_abstract"]
    ft = [r for r in truth if r["stage"] == "full_text"]
    starts = {"XL": "2024-11-25T09:00:00", "YW": "2024-11-26T14:00:00"}
    full_text_starts = {"XL": "2024-12-05T09:00:00", "YW": "2024-12-06T14:00:00"}
    for reviewer in ("XL", "YW"):
        tick = _clock(starts[reviewer], 3)
        rows = [{"record_id": r["record_id"],
                 "decision": TA_DEPARTURES.get(r["record_id"], {}).get(reviewer, r["decision"]),
                 "reason": "", "note": TA_NOTES.get((reviewer, r["record_id"]), ""),
                 "decided_at": tick(), "title": r["title"]} for r in ta]
        _write(HERE / "screening" / f"title_abstract_{reviewer}.csv", rows)
        tick = _clock(full_text_starts[reviewer], 25)
        rows = []
        for r in ft:
            decision, reason = FT_DEPARTURES.get(r["record_id"], {}).get(
                reviewer, (r["decision"], r["reason"]))
            rows.append({"record_id": r["record_id"], "decision": decision, "reason": reason,
                         "study": r["study"] if decision == "include" else "",
                         "note": "", "decided_at": tick(), "title": r["title"]})
        _write(HERE / "screening" / f"full_text_{reviewer}.csv", rows)
    tick = _clock("2024-12-02T10:00:00", 5)
    _write(HERE / "screening" / "title_abstract_HZ_adjudication.csv", [
        {"record_id": r["record_id"], "decision": r["decision"], "reason": "",
         "note": "adjudicated", "decided_at": tick(), "title": r["title"]}
        for r in ta if r["record_id"] in TA_DEPARTURES])
    tick = _clock("2024-12-12T10:00:00", 5)
    _write(HERE / "screening" / "full_text_HZ_adjudication.csv", [
        {"record_id": r["record_id"], "decision": r["decision"], "reason": r["reason"],
         "study": r["study"], "note": "adjudicated", "decided_at": tick(), "title": r["title"]}
        for r in ft if r["record_id"] in FT_DEPARTURES])


def rob_files() -> None:
    with (META / "risk_of_bias.csv").open(encoding="utf-8") as fh:
        truth = list(csv.DictReader(fh))
    domains = [c for c in truth[0] if c not in ("study", "year")]
    for assessor in ("XL", "YW"):
        rows = []
        for r in truth:
            for d in domains:
                who, judgement = ROB_DEPARTURES.get((r["study"], d), (None, r[d]))
                rows.append({"study": r["study"], "domain": ROB_DOMAINS[d],
                             "judgement": judgement if who == assessor else r[d],
                             "support": ROB_SUPPORT[d]})
        _write(HERE / "rob" / f"rob1_{assessor}.csv", rows)
    _write(HERE / "rob" / "rob1_consensus.csv", [
        {"study": study, "domain": ROB_DOMAINS[d],
         "judgement": next(r[d] for r in truth if r["study"] == study),
         "support": "Consensus of XL and YW after discussion"}
        for study, d in ROB_DEPARTURES])


def extraction_file() -> None:
    with (META / "outcomes.csv").open(encoding="utf-8") as fh:
        outcomes = list(csv.DictReader(fh))
    _write(HERE / "extraction.csv", [
        {"study": r["study"], "year": r["year"], "outcome": r["outcome"],
         "record_id": STUDY_RECORDS[r["study"]], "events_treat": r["events_treat"],
         "total_treat": r["total_treat"], "events_ctrl": r["events_ctrl"],
         "total_ctrl": r["total_ctrl"], "note": "checked by YW"} for r in outcomes])


def main() -> None:
    with (HERE / "screening.csv").open(encoding="utf-8") as fh:
        truth = list(csv.DictReader(fh))
    screening_files(truth)
    rob_files()
    extraction_file()


if __name__ == "__main__":
    main()
