"""PRISMA 2020 flow-diagram counts, derived from a review store.

:func:`prisma_counts` counts the records identified per database and register (the
import batches), the duplicates removed (the latest de-duplication run) and, from a table
of screening decisions, every later box of the PRISMA 2020 flow diagram [1]_.
:class:`PrismaCounts` checks that the boxes add up -- records screened are the records
identified less those removed, reports sought are the records screened less those
excluded, and so on -- and an error names the box that does not.

References
----------
.. [1] Page MJ, McKenzie JE, Bossuyt PM, et al. The PRISMA 2020 statement: an updated
       guideline for reporting systematic reviews. BMJ. 2021;372:n71 (Figure 1).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from oncostat._results import ResultMixin, jsonable
from oncostat.errors import InputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from oncostat.review.store import ReviewStore

__all__ = ["REGISTERS", "PrismaCounts", "prisma_counts"]

REGISTERS = ("clinicaltrials.gov", "clinicaltrials", "ictrp", "who ictrp", "eu ctr",
             "eu clinical trials register", "ctis", "isrctn", "chictr", "anzctr", "drks",
             "ctri", "jrct", "umin", "register", "registry")
"""Source names (lower case, matched as prefixes) counted as trial registers, not
bibliographic databases."""

NOT_RETRIEVED = "not retrieved"
"""The full-text ``reason`` that marks a report sought but not retrieved."""


def _n(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


@dataclass(frozen=True, slots=True)
class PrismaCounts(ResultMixin):
    """Counts of the PRISMA 2020 flow diagram [1]_; construct directly for a published
    review, or with :func:`prisma_counts` from a store.

    Boxes after de-duplication are ``None`` until screening decisions exist. The
    constructor checks the arithmetic of every box and raises :class:`InputError`
    naming the box that does not add up.

    Attributes
    ----------
    databases, registers : dict of str to int
        Records identified per database and per register.
    duplicates_removed, automation_removed, other_removed : int
        "Records removed before screening".
    screened, screen_excluded, sought, not_retrieved, assessed : int or None
        "Records screened", "Records excluded", "Reports sought for retrieval",
        "Reports not retrieved", "Reports assessed for eligibility".
    excluded_reasons : dict of str to int
        "Reports excluded:", per reason.
    studies_included, reports_included : int or None
        "Studies included in review", "Reports of included studies" (new studies in an
        updated review).
    studies_in_meta_analysis : int or None
        Optional box under the included studies.
    other_sources : dict of str to int
        "Identification of studies via other methods": records per source (websites,
        organisations, citation searching); with ``other_sought``,
        ``other_not_retrieved``, ``other_assessed`` and ``other_excluded_reasons``.
    previous_studies, previous_reports : int or None
        Updated reviews: studies and reports included in the previous version; the
        diagram then shows the updated-review variant with totals.
    """

    databases: dict[str, int]
    registers: dict[str, int] = field(default_factory=dict)
    duplicates_removed: int = 0
    automation_removed: int = 0
    other_removed: int = 0
    screened: int | None = None
    screen_excluded: int | None = None
    sought: int | None = None
    not_retrieved: int | None = None
    assessed: int | None = None
    excluded_reasons: dict[str, int] = field(default_factory=dict)
    studies_included: int | None = None
    reports_included: int | None = None
    studies_in_meta_analysis: int | None = None
    other_sources: dict[str, int] = field(default_factory=dict)
    other_sought: int | None = None
    other_not_retrieved: int | None = None
    other_assessed: int | None = None
    other_excluded_reasons: dict[str, int] = field(default_factory=dict)
    previous_studies: int | None = None
    previous_reports: int | None = None

    def __post_init__(self) -> None:
        _check(self)

    # -- derived boxes

    @property
    def identified(self) -> int:
        """Records identified from databases and registers."""
        return sum(self.databases.values()) + sum(self.registers.values())

    @property
    def removed_before_screening(self) -> int:
        return self.duplicates_removed + self.automation_removed + self.other_removed

    @property
    def reports_excluded(self) -> int:
        return sum(self.excluded_reasons.values())

    @property
    def total_studies(self) -> int | None:
        """Studies included in review, including the previous version's (updated reviews)."""
        if self.studies_included is None:
            return None
        return self.studies_included + (self.previous_studies or 0)

    @property
    def total_reports(self) -> int | None:
        if self.reports_included is None:
            return None
        return self.reports_included + (self.previous_reports or 0)

    @property
    def updated(self) -> bool:
        """Whether this is an updated review (previous studies given)."""
        return self.previous_studies is not None

    def __str__(self) -> str:
        lines = ["PRISMA 2020 flow" + (" (updated review)" if self.updated else ""),
                 f"  Records identified: {self.identified:,} ("
                 + ", ".join(f"{k} {v:,}" for k, v in {**self.databases,
                                                        **self.registers}.items()) + ")",
                 f"  Duplicate records removed: {self.duplicates_removed:,}"]
        if self.automation_removed or self.other_removed:
            lines.append(f"  Removed by automation tools: {self.automation_removed:,}; "
                         f"for other reasons: {self.other_removed:,}")
        for label, value in (("Records screened", self.screened),
                             ("Records excluded", self.screen_excluded),
                             ("Reports sought for retrieval", self.sought),
                             ("Reports not retrieved", self.not_retrieved),
                             ("Reports assessed for eligibility", self.assessed)):
            if value is not None:
                lines.append(f"  {label}: {value:,}")
        if self.excluded_reasons:
            lines.append("  Reports excluded: " + "; ".join(
                f"{k} {v:,}" for k, v in self.excluded_reasons.items()))
        if self.studies_included is not None:
            lines.append(f"  Studies included in review: {self.total_studies:,} "
                         f"(reports: {self.total_reports:,})")
        if self.studies_in_meta_analysis is not None:
            lines.append(f"  Studies included in meta-analysis: "
                         f"{self.studies_in_meta_analysis:,}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One row per box: ``box, label, n``."""
        rows = [("identified", f"{k}", v) for k, v in self.databases.items()]
        rows += [("identified_register", k, v) for k, v in self.registers.items()]
        rows += [("removed", "Duplicate records removed", self.duplicates_removed),
                 ("removed", "Records marked as ineligible by automation tools",
                  self.automation_removed),
                 ("removed", "Records removed for other reasons", self.other_removed),
                 ("screened", "Records screened", self.screened),
                 ("screen_excluded", "Records excluded", self.screen_excluded),
                 ("sought", "Reports sought for retrieval", self.sought),
                 ("not_retrieved", "Reports not retrieved", self.not_retrieved),
                 ("assessed", "Reports assessed for eligibility", self.assessed)]
        rows += [("excluded", k, v) for k, v in self.excluded_reasons.items()]
        rows += [("included", "Studies included in review", self.studies_included),
                 ("included", "Reports of included studies", self.reports_included)]
        frame = pd.DataFrame(rows, columns=["box", "label", "n"])
        frame["n"] = pd.array(frame["n"].tolist(), dtype="Int64")
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Every box (JSON-safe): what ``oncostat review prisma --json`` prints."""
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out.update(identified=self.identified, total_studies=self.total_studies,
                   total_reports=self.total_reports)
        return jsonable(out)

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Figure:
        """The PRISMA 2020 flow diagram; see :func:`oncostat.plot.prisma.prisma_diagram`."""
        from oncostat.plot.prisma import prisma_diagram

        return prisma_diagram(self, ax=ax, **kwargs)


def _check(c: PrismaCounts) -> None:
    def nonneg(box: str, value: int | None) -> None:
        if value is not None and (not isinstance(value, int) or value < 0):
            raise InputError(f"PRISMA box '{box}': expected a count >= 0, got {value!r}")

    for name, mapping in (("Databases", c.databases), ("Registers", c.registers),
                          ("Reports excluded", c.excluded_reasons),
                          ("Records identified from (other methods)", c.other_sources)):
        for key, value in mapping.items():
            nonneg(f"{name}: {key}", value)
    for box, value in (("Duplicate records removed", c.duplicates_removed),
                       ("Records marked as ineligible by automation tools",
                        c.automation_removed),
                       ("Records removed for other reasons", c.other_removed),
                       ("Records screened", c.screened), ("Records excluded", c.screen_excluded),
                       ("Reports sought for retrieval", c.sought),
                       ("Reports not retrieved", c.not_retrieved),
                       ("Reports assessed for eligibility", c.assessed),
                       ("Studies included in review", c.studies_included),
                       ("Reports of included studies", c.reports_included),
                       ("Studies included in meta-analysis", c.studies_in_meta_analysis)):
        nonneg(box, value)
    if c.removed_before_screening > c.identified:
        raise InputError(f"PRISMA box 'Records removed before screening': "
                         f"{c.removed_before_screening:,} removed but only {c.identified:,} "
                         f"records identified")
    _chain("Records screened", c.screened, c.identified - c.removed_before_screening,
           f"records identified ({c.identified:,}) less records removed before screening "
           f"({c.removed_before_screening:,})")
    if c.screened is not None and c.screen_excluded is not None:
        _chain("Reports sought for retrieval", c.sought, c.screened - c.screen_excluded,
               f"records screened ({c.screened:,}) less records excluded "
               f"({c.screen_excluded:,})")
    if c.sought is not None and c.not_retrieved is not None:
        _chain("Reports assessed for eligibility", c.assessed, c.sought - c.not_retrieved,
               f"reports sought ({c.sought:,}) less reports not retrieved "
               f"({c.not_retrieved:,})")
    if c.assessed is not None and c.reports_included is not None:
        _chain("Reports of included studies", c.reports_included + c.reports_excluded
               - _other_included(c), c.assessed,
               f"reports assessed ({c.assessed:,}); reports included "
               f"({c.reports_included:,}) plus reports excluded ({c.reports_excluded:,})")
    if c.studies_included is not None and c.reports_included is not None and \
            c.studies_included > c.reports_included:
        raise InputError(f"PRISMA box 'Studies included in review': "
                         f"{c.studies_included:,} studies from only {c.reports_included:,} "
                         f"reports (each study has at least one report)")
    if c.studies_in_meta_analysis is not None and (
            c.total_studies is None or c.studies_in_meta_analysis > c.total_studies):
        raise InputError(f"PRISMA box 'Studies included in meta-analysis': "
                         f"{c.studies_in_meta_analysis:,} is more than the studies included "
                         f"in the review ({_n(c.total_studies) or 'none given'})")
    if c.other_sought is not None and c.other_not_retrieved is not None:
        _chain("Reports assessed for eligibility (other methods)", c.other_assessed,
               c.other_sought - c.other_not_retrieved,
               f"reports sought ({c.other_sought:,}) less reports not retrieved "
               f"({c.other_not_retrieved:,})")
    if (c.previous_studies is None) != (c.previous_reports is None):
        raise InputError("PRISMA box 'Studies included in previous version of review': give "
                         "both previous_studies and previous_reports, or neither")


def _other_included(c: PrismaCounts) -> int:
    """Reports included from the other-methods branch (they join at 'included')."""
    if c.other_assessed is None:
        return 0
    return c.other_assessed - sum(c.other_excluded_reasons.values())


def _chain(box: str, value: int | None, expected: int, how: str) -> None:
    if value is not None and value != expected:
        raise InputError(f"PRISMA box '{box}': n = {value:,}, but {how} gives "
                         f"{expected:,}")


def prisma_counts(
    store: ReviewStore,
    *,
    screening: pd.DataFrame | str | Path | None = None,
    other_sources: Mapping[str, int] | None = None,
    registers: Mapping[str, bool] | None = None,
    studies_in_meta_analysis: int | None = None,
    previous_studies: int | None = None,
    previous_reports: int | None = None,
) -> PrismaCounts:
    """PRISMA 2020 counts of a review, every one derived from the store [1]_.

    Parameters
    ----------
    store : ReviewStore
        Records identified come from its import batches, one row per database or
        register; duplicates removed from its latest de-duplication run (records less
        clusters). Without a run no duplicates are removed.
    screening : DataFrame or path of a CSV, optional
        By default the settled decisions of the store's screening ledger
        (:func:`oncostat.review.screening.final_decisions`: agreed or adjudicated), when
        it has any. Otherwise screening decisions, one row per record and stage:
        ``record_id`` (the store's, or the file's own id), ``stage``
        (``"title_abstract"`` or ``"full_text"``),
        ``decision`` (``"include"`` or ``"exclude"``), ``reason`` (full-text exclusions;
        ``"not retrieved"`` marks a report sought but not retrieved) and optionally
        ``study`` (the study a report belongs to; each report is its own study otherwise).
        Title/abstract decisions are needed for every de-duplicated record.
    other_sources : mapping of str to int, optional
        Records identified via other methods (websites, organisations, citation
        searching) that were not imported.
    registers : mapping of str to bool, optional
        Which source names are registers; by default names starting with one in
        :data:`REGISTERS` (ClinicalTrials.gov, ICTRP, ...).
    studies_in_meta_analysis, previous_studies, previous_reports : int, optional
        The optional meta-analysis box, and the previous version's studies and reports
        for an updated review.

    Returns
    -------
    PrismaCounts
    """
    batches = store.batches()
    registers = dict(registers or {})

    def is_register(name: str) -> bool:
        if name in registers:
            return bool(registers[name])
        return str(name).casefold().startswith(REGISTERS)

    per_source: dict[str, int] = {}
    for name, n in zip(batches["database"], batches["n_records"], strict=True):
        per_source[str(name)] = per_source.get(str(name), 0) + int(n)
    databases = {k: v for k, v in per_source.items() if not is_register(k)}
    regs = {k: v for k, v in per_source.items() if is_register(k)}
    records = store.records()
    latest = store.latest_dedup()
    if latest is None:
        representatives = records["record_id"]
        representative_of: dict[Any, Any] = {}
    else:
        clusters = latest[0]
        representatives = clusters.loc[clusters["is_representative"], "record_id"]
        # A decision may name any member of a cluster (e.g. after re-running the
        # de-duplication with another representative policy); it counts for the cluster.
        rep_by_cluster = dict(zip(clusters.loc[clusters["is_representative"], "cluster_id"],
                                  representatives, strict=True))
        representative_of = {r: rep_by_cluster[c] for r, c in
                             zip(clusters["record_id"], clusters["cluster_id"], strict=True)}
    n_records = len(records)
    duplicates = n_records - len(representatives)
    boxes: dict[str, Any] = {}
    if screening is None:
        screening = _ledger_screening(store)
    if screening is not None:
        boxes = _screening_boxes(_read_screening(screening), records, set(representatives),
                                 representative_of)
    return PrismaCounts(databases=databases, registers=regs, duplicates_removed=duplicates,
                        screened=len(representatives), other_sources=dict(other_sources or {}),
                        studies_in_meta_analysis=studies_in_meta_analysis,
                        previous_studies=previous_studies, previous_reports=previous_reports,
                        **boxes)


def _ledger_screening(store: ReviewStore) -> pd.DataFrame | None:
    """The settled decisions of the store's screening ledger in the CSV's layout, or
    ``None`` when the ledger is empty (or ``store`` keeps no ledger)."""
    from oncostat.review.store import ReviewStore

    if not isinstance(store, ReviewStore) or store.screening_decisions().empty:
        return None
    from oncostat.review.screening import final_decisions

    final = final_decisions(store)
    final = final[final["status"].isin(["agreed", "adjudicated"])]
    return final.assign(record_id=final["record_id"].astype(str))[
        ["record_id", "stage", "decision", "reason", "study"]]


def _read_screening(screening: pd.DataFrame | str | Path) -> pd.DataFrame:
    if isinstance(screening, pd.DataFrame):
        frame = screening.copy()
    else:
        path = Path(screening)
        if not path.exists():
            raise InputError(f"screening: file {str(path)!r} not found")
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("record_id", "stage", "decision") if c not in frame.columns]
    if missing:
        raise InputError(f"screening: column {missing[0]!r} is missing; expected record_id, "
                         f"stage, decision, reason")
    if "reason" not in frame.columns:
        frame["reason"] = ""
    for row, (stage, decision) in enumerate(zip(frame["stage"], frame["decision"],
                                                strict=True), start=1):
        if stage not in ("title_abstract", "full_text"):
            raise InputError(f"screening: column 'stage', row {row}: expected "
                             f"'title_abstract' or 'full_text', got {stage!r}")
        if decision not in ("include", "exclude"):
            raise InputError(f"screening: column 'decision', row {row}: expected 'include' "
                             f"or 'exclude', got {decision!r}")
    return frame


def _screening_boxes(frame: pd.DataFrame, records: pd.DataFrame,
                     representatives: set[Any], representative_of: dict[Any, Any]
                     ) -> dict[str, Any]:
    """Counts of the screening boxes from decisions, checked against the records.

    Decisions on any member of a duplicate cluster count for the cluster's representative.
    """
    by_store = {str(r): r for r in records["record_id"]}
    by_source = {str(s): r for s, r in zip(records["source_id"], records["record_id"],
                                           strict=True) if isinstance(s, str) and s}
    ids = []
    for row, rid in enumerate(frame["record_id"].astype(str), start=1):
        key = rid.strip()
        if key in by_store:
            ids.append(by_store[key])
        elif key in by_source:
            ids.append(by_source[key])
        else:
            raise InputError(f"screening: column 'record_id', row {row}: {rid!r} is not a "
                             f"record of the store")
    frame = frame.assign(record_id=[representative_of.get(r, r) for r in ids])
    dup = frame.duplicated(["record_id", "stage"])
    if dup.any():
        row = int(dup.to_numpy().argmax()) + 1
        raise InputError(f"screening: row {row}: record {frame['record_id'].iat[row - 1]} has "
                         f"two decisions at stage {frame['stage'].iat[row - 1]!r}")
    ta = frame[frame["stage"] == "title_abstract"]
    ft = frame[frame["stage"] == "full_text"]
    not_screened = representatives - set(ta["record_id"])
    if not_screened:
        raise InputError(f"PRISMA box 'Records screened': {len(representatives):,} records "
                         f"after de-duplication, but {len(not_screened):,} "
                         f"{'has' if len(not_screened) == 1 else 'have'} no "
                         f"title_abstract decision (e.g. record {min(not_screened)})")
    extra = set(ta["record_id"]) - representatives
    if extra:
        raise InputError(f"PRISMA box 'Records screened': record {min(extra)} has a "
                         f"title_abstract decision but was removed as a duplicate")
    included = set(ta.loc[ta["decision"] == "include", "record_id"])
    stray = set(ft["record_id"]) - included
    if stray:
        raise InputError(f"PRISMA box 'Reports sought for retrieval': record {min(stray)} has "
                         f"a full_text decision but was not included at title/abstract")
    boxes: dict[str, Any] = {"screen_excluded": int((ta["decision"] == "exclude").sum()),
                             "sought": len(included)}
    if len(ft) == 0:
        return boxes
    missing = included - set(ft["record_id"])
    if missing:
        raise InputError(f"PRISMA box 'Reports assessed for eligibility': "
                         f"{len(missing):,} reports sought have no full_text decision "
                         f"(e.g. record {min(missing)})")
    reason = ft["reason"].fillna("").astype(str).str.strip()
    lost = reason.str.casefold().map(lambda r: re.sub(r"[\s_]+", " ", r)) == NOT_RETRIEVED
    excluded = ft[(ft["decision"] == "exclude") & ~lost]
    reasons = reason[excluded.index].replace("", "No reason given").value_counts()
    kept = ft[ft["decision"] == "include"]
    if "study" in kept.columns:
        study = kept["study"].fillna("").astype(str)
        study = study.where(study != "", "record " + kept["record_id"].astype(str))
        n_studies = int(study.nunique())
    else:
        n_studies = len(kept)
    boxes.update(not_retrieved=int(lost.sum()), assessed=int(len(ft) - lost.sum()),
                 excluded_reasons={str(k): int(v) for k, v in reasons.items()},
                 reports_included=len(kept), studies_included=n_studies)
    return boxes
