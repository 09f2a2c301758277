"""The study-file schema, validated with precise messages.

A study file is TOML::

    title = "HIFU + radiotherapy in HCC"

    [[meta]]
    name = "Tumour response"
    data = "outcomes.csv"          # relative to the study file
    outcome = "outcome"            # one analysis per value of this column
    measure = "OR"
    method = "MH"
    model = "fixed"
    leave_one_out = true

Errors name the file, the key and what is allowed, e.g.
``study.toml: meta[1].model: got 'randon'; allowed: 'fixed', 'random'``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from oncostat.errors import InputError

__all__ = ["CohortSpec", "DecisionsFile", "ExtractionFile", "MetaSpecFile", "ReviewSpecFile",
           "RobFile", "SearchSource", "StudyFile", "load_study"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetaSpecFile(_Strict):
    """One ``[[meta]]`` table: a meta-analysis of one or more outcomes."""

    name: str
    data: str | None = None
    review_outcome: str | None = None
    exclude_high_risk: bool = False
    outcome: str | None = None
    outcomes: list[str] | None = None
    measure: Literal["OR", "RR", "RD", "MD", "SMD", "GEN"] = "OR"
    method: Literal["MH", "Peto", "IV"] = "MH"
    model: Literal["fixed", "random"] = "fixed"
    tau2: Literal["DL", "REML", "ML", "PM", "SJ", "HE", "HS", "EB"] = "DL"
    hakn: bool = False
    revman: bool | None = None
    ratio: bool = False
    confidence_level: float = Field(0.95, gt=0, lt=1)
    subgroup: str | None = None
    leave_one_out: bool = False
    cumulative: bool = False
    influence: bool = False
    small_study: bool = False
    prediction: bool = False
    columns: dict[str, str] = Field(default_factory=dict)
    rob: str | None = None
    favours: tuple[str, str] = ("Favours treatment", "Favours control")
    description: str = ""

    def options(self) -> dict[str, Any]:
        """Keyword arguments for :func:`oncostat.meta.summary.summarise`."""
        return {"measure": self.measure, "method": self.method, "model": self.model,
                "tau2_method": self.tau2, "hakn": self.hakn, "revman": self.revman,
                "ratio": self.ratio, "confidence_level": self.confidence_level,
                "subgroup": self.subgroup, "leave_one_out": self.leave_one_out,
                "cumulative": self.cumulative, "influence": self.influence,
                "small_study": self.small_study, **self.columns}


class SearchSource(_Strict):
    """One search export: ``[[review.sources]]``."""

    file: str
    database: str
    search_date: str | None = None
    format: str | None = None


class DecisionsFile(_Strict):
    """``[[review.decisions]]``: one reviewer's (or the adjudicator's) screening decisions,
    imported into the ledger in the order listed."""

    file: str
    reviewer: str
    stage: Literal["title_abstract", "full_text"]
    adjudication: bool = False


class RobFile(_Strict):
    """``[[review.rob]]``: one assessor's risk-of-bias judgements (or the consensus)."""

    file: str
    assessor: str
    tool: Literal["rob1", "rob2", "robins_i"] = "rob1"
    consensus: bool = False


class ExtractionFile(_Strict):
    """``[[review.extraction]]``: extracted outcome data, one row per study and outcome."""

    file: str
    extractor: str


class ReviewSpecFile(_Strict):
    """``[review]``: search exports imported into a fresh store, de-duplicated, and the
    PRISMA 2020 flow. Screening comes either from ``screening`` (a CSV of settled
    decisions) or from the reviewers' files in ``[[review.decisions]]`` (the ledger: the
    report then shows their agreement); ``[[review.rob]]`` and ``[[review.extraction]]``
    feed the risk-of-bias figures and the ``[[meta]]`` analyses with ``review_outcome``."""

    name: str = "Search and study selection"
    sources: list[SearchSource] = Field(min_length=1)
    screening: str | None = None
    decisions: list[DecisionsFile] = Field(default_factory=list)
    maybe: Literal["include", "exclude", "separate"] = "include"
    rob: list[RobFile] = Field(default_factory=list)
    extraction: list[ExtractionFile] = Field(default_factory=list)
    meta_analysis: int | None = Field(None, ge=0)
    policy: Literal["most_complete", "source_priority", "earliest"] = "most_complete"
    description: str = ""


class EligibilitySpec(_Strict):
    """``[cohort.eligibility]``: the screening table and the ordered criteria."""

    data: str
    steps: list[dict[str, str]] = Field(min_length=1)


class BaselineSpec(_Strict):
    """``[cohort.baseline]``: Table 1 before and after matching."""

    variables: list[str] = Field(min_length=1)
    categorical: list[str] = Field(default_factory=list)
    nonnormal: list[str] = Field(default_factory=list)
    tests: dict[str, Literal["auto", "t", "welch", "anova", "wilcoxon", "kruskal", "chisq",
                             "chisq-yates", "fisher"]] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)


class MatchingSpec(_Strict):
    """``[cohort.matching]``: propensity-score matching of the focal arm."""

    covariates: list[str] = Field(min_length=1)
    ratio: int | dict[str, int] = 1
    caliper: float | None = Field(0.2, gt=0)
    caliper_scale: Literal["logit", "ps"] = "logit"
    order: Literal["largest", "smallest", "data", "random"] = "largest"
    seed: int | None = None
    reference: dict[str, str] = Field(default_factory=dict)


class EndpointSpec(_Strict):
    """``[[cohort.endpoints]]``: one time-to-event endpoint."""

    name: str
    time: str
    event: str
    definition: str = ""
    times: list[float] = Field(default_factory=list)
    unit: str = "Months"


class ResponseSpec(_Strict):
    """``[cohort.response]``: lesion measurements and the criteria used per arm."""

    data: str
    criteria: dict[str, Literal["RECIST1.1", "mRECIST"]]
    date: str = "date"
    lesion: str = "lesion"
    kind: str = "kind"
    organ: str = "organ"
    diameter: str = "diameter_mm"
    viable: str = "viable_mm"
    status: str | None = "status"
    viable_status: str | None = "viable_status"
    lymph_node_organ: str = "lymph_node"
    start: str | None = None  # column of the cohort table: treatment start date
    confirm: bool = False
    min_sd_weeks: float | None = Field(None, gt=0)


class SafetySpec(_Strict):
    """``[cohort.safety]``: the adverse-event table."""

    data: str
    term: str = "term"
    grade: str = "grade"
    ctcae_version: Literal["4.0", "5.0"] = "4.0"


class CohortSpec(_Strict):
    """``[cohort]``: a comparative cohort study (the seed's design)."""

    data: str
    id: str = "id"
    arm: str
    arms: list[str] = Field(min_length=2)
    focal: str
    eligibility: EligibilitySpec | None = None
    baseline: BaselineSpec | None = None
    matching: MatchingSpec | None = None
    endpoints: list[EndpointSpec] = Field(default_factory=list)
    response: ResponseSpec | None = None
    safety: SafetySpec | None = None


class StudyFile(_Strict):
    """A whole study: its title and its analyses."""

    title: str
    subtitle: str = ""
    cohort: CohortSpec | None = None
    review: ReviewSpecFile | None = None
    meta: list[MetaSpecFile] = Field(default_factory=list)


def load_study(path: str | Path) -> tuple[StudyFile, Path]:
    """Parse and validate a study file; returns it and the folder its paths are relative to."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such study file")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason})") from None
    try:
        study = StudyFile.model_validate(raw)
    except ValidationError as exc:
        raise InputError(f"{path}: {_first_problem(exc)}") from None
    _check_links(study, path)
    files = [(f"meta[{i}].{key}", rel) for i, m in enumerate(study.meta)
             for key, rel in (("data", m.data), ("rob", m.rob))]
    if study.cohort is not None:
        c = study.cohort
        if c.focal not in c.arms:
            raise InputError(f"{path}: cohort.focal: got {c.focal!r}; allowed: one of the arms "
                             f"{c.arms}")
        files += [("cohort.data", c.data)]
        files += [(f"cohort.{k}.data", getattr(c, k).data)
                  for k in ("eligibility", "response", "safety") if getattr(c, k) is not None]
    if study.review is not None:
        files += [(f"review.sources[{i}].file", src.file)
                  for i, src in enumerate(study.review.sources)]
        files.append(("review.screening", study.review.screening))
        files += [(f"review.{kind}[{i}].file", entry.file)
                  for kind in ("decisions", "rob", "extraction")
                  for i, entry in enumerate(getattr(study.review, kind))]
    for key, rel in files:
        if rel is not None and not (path.parent / rel).is_file():
            raise InputError(f"{path}: {key}: file {rel!r} not found next to the study file")
    return study, path.parent


def _check_links(study: StudyFile, path: Path) -> None:
    """Rules across keys: one data source per analysis, one source of screening."""
    review = study.review
    for i, m in enumerate(study.meta):
        if (m.data is None) == (m.review_outcome is None):
            raise InputError(f"{path}: meta[{i}]: give either 'data' (a table) or "
                             f"'review_outcome' (an outcome extracted in [review])")
        if m.review_outcome is not None and (review is None or not review.extraction):
            raise InputError(f"{path}: meta[{i}].review_outcome: needs [[review.extraction]]")
        if m.exclude_high_risk and m.review_outcome is None:
            raise InputError(f"{path}: meta[{i}].exclude_high_risk: needs 'review_outcome' "
                             f"(the risk of bias comes from [[review.rob]])")
        if m.review_outcome is not None and m.rob is not None:
            raise InputError(f"{path}: meta[{i}].rob: the risk of bias of a review_outcome "
                             f"comes from [[review.rob]]; remove 'rob'")
    if review is None:
        return
    if review.screening is not None and review.decisions:
        raise InputError(f"{path}: review.screening: give either 'screening' (settled "
                         f"decisions) or [[review.decisions]] (the reviewers' files), not both")
    if len({r.tool for r in review.rob}) > 1:
        raise InputError(f"{path}: review.rob: one risk-of-bias tool per review; got "
                         f"{sorted({r.tool for r in review.rob})}")


def _first_problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ""
    for part in err["loc"]:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    if err["type"] == "extra_forbidden":
        return f"{where}: unknown key"
    if err["type"] == "missing":
        return f"{where}: required key is missing"
    allowed = err.get("ctx", {}).get("expected")
    got = err.get("input")
    text = f"{where}: got {got!r}"
    return text + (f"; allowed: {allowed}" if allowed else f"; {err['msg']}")
