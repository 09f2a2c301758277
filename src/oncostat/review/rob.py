"""Risk of bias: tools as versioned data, two assessors plus consensus, the RoB 2 algorithm.

The tools live in ``oncostat/review/rob_tools/*.json`` (domains, judgement options,
signalling questions, version and source): RoB 1, the seven domains of the seed review
[1]_; RoB 2 for individually randomised parallel-group trials [2]_; ROBINS-I [3]_.
Assessments go into the store's risk-of-bias ledger, one row per study, outcome, domain
and assessor; as in screening, two assessors judge independently and a consensus row
settles each domain on which they disagree.

For RoB 2, :func:`rob2_algorithm` maps signalling-question answers to the proposed
domain judgements and the overall judgement with the published algorithms [2]_; an
assessor may judge otherwise, with a reason, which is kept beside the proposal.

References
----------
.. [1] Higgins JPT, Altman DG, Gøtzsche PC, et al. The Cochrane Collaboration's tool for
       assessing risk of bias in randomised trials. BMJ. 2011;343:d5928.
.. [2] Sterne JAC, Savović J, Page MJ, et al. RoB 2: a revised tool for assessing risk of
       bias in randomised trials. BMJ. 2019;366:l4898; and Higgins JPT, Savović J, Page
       MJ, Sterne JAC (eds). Revised Cochrane risk-of-bias tool for randomized trials
       (RoB 2), full guidance document, 22 August 2019 (algorithms for domains 1 to 5).
.. [3] Sterne JAC, Hernán MA, Reeves BC, et al. ROBINS-I: a tool for assessing risk of
       bias in non-randomised studies of interventions. BMJ. 2016;355:i4919.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from oncostat.errors import InputError
from oncostat.review._migrations import now
from oncostat.review.screening import read_table

if TYPE_CHECKING:
    from pathlib import Path

    from oncostat.review.store import ReviewStore

__all__ = ["RobTool", "consensus_rob", "import_rob", "record_assessment", "rob2_algorithm",
           "rob_conflicts", "rob_tool", "rob_tools"]

ToolName = Literal["rob1", "rob2", "robins_i"]
OVERALL = "Overall"


@dataclass(frozen=True, slots=True)
class RobTool:
    """A risk-of-bias tool as shipped in ``rob_tools/<tool>.json``.

    ``domains`` are ``(id, name)`` pairs in order; ``questions`` maps a domain id to its
    signalling questions ``(id, text)``; ``judgements`` lists the options from best to
    worst (plus "no information" for ROBINS-I); ``answers`` the signalling-question
    options (RoB 2).
    """

    tool: str
    name: str
    version: str
    source: str
    judgements: tuple[str, ...]
    aliases: dict[str, str]
    domains: tuple[tuple[str, str], ...]
    questions: dict[str, tuple[tuple[str, str], ...]]
    answers: tuple[str, ...]
    overall_note: str

    def domain_id(self, value: str) -> str | None:
        """The domain id for an id (``"D2"``) or name (case-insensitive); None if unknown."""
        key = value.strip().casefold()
        for did, name in self.domains:
            if key in (did.casefold(), name.casefold()):
                return did
        return None

    def judgement(self, value: str) -> str | None:
        """The canonical judgement for ``value`` (case-insensitive, aliases), or None."""
        key = re.sub(r"\s+", " ", value.strip().casefold())
        if key in self.judgements:
            return key
        return self.aliases.get(key)

    def overall(self, judgements: list[str]) -> str:
        """Proposed overall judgement from the domain judgements (see ``overall_note``)."""
        if self.tool == "robins_i":
            graded = [j for j in judgements if j != "no information"]
            worst = max(graded, key=self.judgements.index, default="no information")
            if worst in ("serious", "critical") or len(graded) == len(judgements):
                return worst
            return "no information"
        return max(judgements, key=self.judgements.index)


@cache
def rob_tool(name: ToolName) -> RobTool:
    """Load one tool definition (``"rob1"``, ``"rob2"`` or ``"robins_i"``)."""
    if name not in rob_tools():
        raise InputError(f"tool: expected one of {', '.join(map(repr, rob_tools()))}, got "
                         f"{name!r}")
    text = resources.files("oncostat.review").joinpath(f"rob_tools/{name}.json").read_text(
        encoding="utf-8")
    data = json.loads(text)
    return RobTool(
        tool=data["tool"], name=data["name"], version=data["version"], source=data["source"],
        judgements=tuple(data["judgements"]), aliases=dict(data["aliases"]),
        domains=tuple((d["id"], d["name"]) for d in data["domains"]),
        questions={d["id"]: tuple((q["id"], q["text"]) for q in d["questions"])
                   for d in data["domains"]},
        answers=tuple(data.get("answers", ())), overall_note=data["overall_note"])


def rob_tools() -> tuple[str, ...]:
    """Names of the shipped tools."""
    return ("rob1", "rob2", "robins_i")


# -- the RoB 2 algorithm ---------------------------------------------------------------

_YES, _NO = ("Y", "PY"), ("N", "PN")


def _answer(answers: dict[str, str], question: str) -> str:
    value = answers.get(question, "")
    if value in ("", "NA"):
        raise InputError(f"RoB 2 question {question}: an answer (Y, PY, PN, N or NI) is "
                         f"needed by the algorithm, got {value or 'none'}")
    return value


def _d1(a: dict[str, str]) -> str:
    concealed = _answer(a, "1.2")
    imbalance = _answer(a, "1.3") in _YES
    if concealed in _NO:
        return "high"
    if concealed == "NI":
        return "high" if imbalance else "some concerns"
    random_ok = _answer(a, "1.1") not in _NO
    return "low" if random_ok and not imbalance else "some concerns"


def _d2(a: dict[str, str]) -> str:
    # Part 1 (2.1 to 2.5): deviations arising because of the trial context.
    if _answer(a, "2.1") in _NO and _answer(a, "2.2") in _NO:
        part1 = "low"
    else:
        context = _answer(a, "2.3")
        if context in _NO:
            part1 = "low"
        elif context == "NI":
            part1 = "some concerns"
        elif _answer(a, "2.4") in _NO:
            part1 = "some concerns"
        else:
            part1 = "some concerns" if _answer(a, "2.5") in _YES else "high"
    # Part 2 (2.6, 2.7): analysis in the groups as randomised.
    if _answer(a, "2.6") in _YES:
        part2 = "low"
    else:
        part2 = "some concerns" if _answer(a, "2.7") in _NO else "high"
    return max(part1, part2, key=("low", "some concerns", "high").index)


def _d3(a: dict[str, str]) -> str:
    if _answer(a, "3.1") in _YES or _answer(a, "3.2") in _YES:
        return "low"
    # 3.2 offers no NI in the guidance; an NI there is read as N/PN (no such evidence).
    if _answer(a, "3.3") in _NO:
        return "low"
    return "some concerns" if _answer(a, "3.4") in _NO else "high"


def _d4(a: dict[str, str]) -> str:
    if _answer(a, "4.1") in _YES or _answer(a, "4.2") in _YES:
        return "high"
    floor = "some concerns" if _answer(a, "4.2") == "NI" else "low"
    if _answer(a, "4.3") in _NO or _answer(a, "4.4") in _NO:
        return floor
    return "some concerns" if _answer(a, "4.5") in _NO else "high"


def _d5(a: dict[str, str]) -> str:
    selected = (_answer(a, "5.2"), _answer(a, "5.3"))
    if any(s in _YES for s in selected):
        return "high"
    if all(s in _NO for s in selected):
        return "low" if _answer(a, "5.1") in _YES else "some concerns"
    return "some concerns"


_RULES = {"D1": _d1, "D2": _d2, "D3": _d3, "D4": _d4, "D5": _d5}


def rob2_algorithm(answers: dict[str, str]) -> dict[str, str]:
    """Proposed RoB 2 judgements from signalling-question answers [2]_.

    Parameters
    ----------
    answers : dict of str to str
        Question id (``"1.1"`` ... ``"5.3"``) to ``"Y"``, ``"PY"``, ``"PN"``, ``"N"``,
        ``"NI"`` or ``"NA"`` (not applicable: a conditional question not asked). Only
        the domains with at least one answer are judged.

    Returns
    -------
    dict of str to str
        Domain id (``"D1"`` ... ``"D5"``) to ``"low"``, ``"some concerns"`` or
        ``"high"``, and ``"Overall"`` when all five domains are judged: low if every
        domain is low, high if any is high, some concerns otherwise (Sterne et al. 2019,
        Table 2). The guidance also allows "high" for some concerns in several domains
        that together lower confidence substantially; that is the assessor's call, made
        by overriding the proposal with a reason.

    Raises
    ------
    InputError
        An answer outside the options, or a question the algorithm needs left blank.

    Examples
    --------
    >>> from oncostat.review.rob import rob2_algorithm
    >>> rob2_algorithm({"1.1": "Y", "1.2": "Y", "1.3": "N"})
    {'D1': 'low'}
    >>> rob2_algorithm({"1.1": "Y", "1.2": "NI", "1.3": "PY"})
    {'D1': 'high'}
    """
    tool = rob_tool("rob2")
    clean = {}
    for question, value in answers.items():
        value = str(value).strip().upper()
        if value not in tool.answers:
            raise InputError(f"RoB 2 question {question}: expected one of "
                             f"{', '.join(tool.answers)}, got {value!r}")
        clean[str(question).strip()] = value
    out = {}
    for did, _ in tool.domains:
        asked = [q for q, _ in tool.questions[did]]
        if any(q in clean for q in asked):
            out[did] = _RULES[did](clean)
    if len(out) == len(tool.domains):
        out[OVERALL] = tool.overall(list(out.values()))
    return out


# -- assessments -----------------------------------------------------------------------


def _parse_answers(text: str, tool: RobTool, did: str, where: str) -> dict[str, str]:
    """``"1.1=Y; 1.2=PY"`` -> ``{"1.1": "Y", "1.2": "PY"}``, checked against the tool."""
    out: dict[str, str] = {}
    if not text:
        return out
    known = {q for q, _ in tool.questions.get(did, ())}
    for part in re.split(r"[;,]", text):
        if not part.strip():
            continue
        question, sep, value = part.partition("=")
        question, value = question.strip(), value.strip().upper()
        if not sep or question not in known:
            raise InputError(f"{where}, column 'answers': {part.strip()!r} is not an answer "
                             f"to a question of domain {did} (expected e.g. "
                             f"'{next(iter(sorted(known)), '1.1')}=Y')")
        if value not in tool.answers:
            raise InputError(f"{where}, column 'answers': question {question}: expected one "
                             f"of {', '.join(tool.answers)}, got {value!r}")
        out[question] = value
    return out


def import_rob(store: ReviewStore, path: str | Path | pd.DataFrame, assessor: str,
               tool: ToolName, *, consensus: bool = False) -> int:
    """Add one assessor's risk-of-bias judgements to the ledger, all or nothing.

    Parameters
    ----------
    store : ReviewStore
    path : str, Path or DataFrame
        CSV or XLSX, one row per study and domain: ``study``, ``domain`` (id such as
        ``D3`` or the domain's name; ``Overall`` for an overall judgement), ``judgement``
        (one of the tool's options; for RoB 2 it may be left empty to take the
        algorithm's proposal), optional ``outcome`` (RoB 2 judges a result; empty means
        the study as a whole), ``answers`` (RoB 2: ``"1.1=Y; 1.2=PY; 1.3=N"``),
        ``reason`` (required when the judgement departs from the proposal) and
        ``support`` (quotes and notes).
    assessor : str
    tool : {"rob1", "rob2", "robins_i"}
    consensus : bool, default False
        The rows settle disagreements between the two assessors; each must concern a
        domain on which they disagree, not already settled.

    Returns
    -------
    int
        The ledger import id.

    Raises
    ------
    InputError
        Naming the file, row and column: an unknown domain, a judgement or answer outside
        the tool's options, a departure from the algorithm without a reason, a domain
        judged twice, a consensus without a disagreement. Nothing is imported then.
    """
    spec = rob_tool(tool)
    assessor = str(assessor).strip()
    if not assessor:
        raise InputError("assessor: expected a name, got an empty string")
    frame, name, digest = read_table(path)
    for column in ("study", "domain"):
        if column not in frame.columns:
            raise InputError(f"{name}: column {column!r} is missing; expected study, "
                             f"domain, judgement and optionally outcome, answers, reason, "
                             f"support")
    ledger = store.rob_judgements()
    ledger = ledger[ledger["tool"] == tool]
    done = {(s, o, d) for s, o, d, a in zip(ledger["study"], ledger["outcome"],
                                            ledger["domain"], ledger["assessor"],
                                            strict=True) if a == assessor}
    disputes = _disagreements(ledger) if consensus else {}
    rows: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, str], int] = {}
    own: dict[tuple[str, str], dict[str, str]] = {}
    for key, judgement in zip(zip(ledger["study"], ledger["outcome"], ledger["domain"],
                                  strict=True), ledger["judgement"], strict=True):
        if key in done:
            own.setdefault(key[:2], {})[key[2]] = judgement
    overall_rows = []
    stamp = now()
    for i, cells in enumerate(frame.to_dict(orient="records"), start=1):
        where = f"{name}: row {i}"
        study, outcome = cells["study"], cells.get("outcome", "")
        if not study:
            raise InputError(f"{where}, column 'study': expected the study label, got an "
                             f"empty cell")
        is_overall = cells["domain"].casefold() == OVERALL.casefold()
        did = OVERALL if is_overall else spec.domain_id(cells["domain"])
        if did is None:
            raise InputError(f"{where}, column 'domain': {cells['domain']!r} is not a domain "
                             f"of {tool} (expected {', '.join(d for d, _ in spec.domains)} "
                             f"or Overall)")
        key = (study, outcome, did)
        if key in seen:
            raise InputError(f"{where}: study {study!r} domain {did} appears again (first at "
                             f"row {seen[key]})")
        seen[key] = i
        if key in done:
            raise InputError(f"{where}: {assessor} already judged study {study!r} domain "
                             f"{did} with {tool}; the ledger keeps the first judgement")
        raw = cells.get("judgement", "")
        judgement = spec.judgement(raw) if raw else None
        if raw and judgement is None:
            raise InputError(f"{where}, column 'judgement': expected one of "
                             f"{', '.join(spec.judgements)}, got {raw!r}")
        answers = {} if is_overall else _parse_answers(cells.get("answers", ""), spec, did,
                                                       where)
        proposed = None
        if answers:
            try:
                proposed = _RULES[did](answers)
            except InputError as exc:
                raise InputError(f"{where}, column 'answers': {exc}") from None
        reason = cells.get("reason", "")
        if judgement is None and proposed is None and not is_overall:
            raise InputError(f"{where}, column 'judgement': expected one of "
                             f"{', '.join(spec.judgements)}"
                             + (" (or the signalling answers)" if tool == "rob2" else "")
                             + ", got an empty cell")
        if judgement is None:
            judgement = proposed
        if proposed is not None and judgement != proposed and not reason:
            raise InputError(f"{where}, column 'reason': the judgement {judgement!r} departs "
                             f"from the algorithm's {proposed!r}; give a reason")
        if consensus and key not in disputes:
            raise InputError(f"{where}: study {study!r} domain {did} has no disagreement "
                             f"between assessors to settle" +
                             (" (it was already settled)" if key in _settled(ledger) else ""))
        if consensus and assessor in disputes[key]:
            raise InputError(f"{where}: {assessor} was an assessor of study {study!r} "
                             f"domain {did}; the consensus row is recorded by someone else "
                             f"or under a separate name")
        row = {"study": study, "outcome": outcome, "tool": tool,
               "tool_version": spec.version, "domain": did, "assessor": assessor,
               "role": "consensus" if consensus else "assessor",
               "answers": json.dumps(answers), "proposed": proposed, "judgement": judgement,
               "reason": reason, "support": cells.get("support", ""), "assessed_at": stamp}
        if is_overall:
            overall_rows.append((row, where, raw))
        else:
            own.setdefault((study, outcome), {})[did] = judgement
        rows.append(row)
    for row, where, raw in overall_rows:
        domains = own.get((row["study"], row["outcome"]), {})
        if not consensus and len(domains) == len(spec.domains):
            row["proposed"] = spec.overall([domains[d] for d, _ in spec.domains])
        if row["judgement"] is None:
            if row["proposed"] is None:
                raise InputError(f"{where}, column 'judgement': expected one of "
                                 f"{', '.join(spec.judgements)}, got {raw!r}")
            row["judgement"] = row["proposed"]
        if row["proposed"] not in (None, row["judgement"]) and not row["reason"]:
            raise InputError(f"{where}, column 'reason': the overall judgement "
                             f"{row['judgement']!r} departs from the proposed "
                             f"{row['proposed']!r}; give a reason")
    return store.append_ledger("rob_judgements", rows,
                               {"kind": "rob", "file": name, "sha256": digest,
                                "actor": assessor,
                                "settings": {"tool": tool, "consensus": consensus}}) or 0


def record_assessment(store: ReviewStore, study: str, assessor: str, tool: ToolName,
                      judgements: dict[str, str], *, outcome: str = "",
                      answers: dict[str, str] | None = None,
                      reasons: dict[str, str] | None = None,
                      consensus: bool = False) -> int:
    """Record one study's assessment (domain id or name to judgement) through the same
    checks as :func:`import_rob`. For RoB 2, ``answers`` (question id to answer) give the
    algorithm's proposals, and a domain may then be omitted from ``judgements``."""
    spec = rob_tool(tool)
    answers = answers or {}
    reasons = reasons or {}
    domains = list(dict.fromkeys([*judgements, *(
        did for did, _ in spec.domains
        if any(q in answers for q, _ in spec.questions[did]))]))
    rows = []
    for domain in domains:
        did = spec.domain_id(domain) or domain
        asked = {q for q, _ in spec.questions.get(did, ())}
        rows.append({"study": study, "outcome": outcome, "domain": domain,
                     "judgement": judgements.get(domain, ""),
                     "answers": "; ".join(f"{q}={a}" for q, a in answers.items() if q in asked),
                     "reason": reasons.get(domain, "")})
    return import_rob(store, pd.DataFrame(rows), assessor, tool, consensus=consensus)


def _settled(ledger: pd.DataFrame) -> set[tuple[str, str, str]]:
    return {k for k, r in zip(zip(ledger["study"], ledger["outcome"], ledger["domain"],
                                  strict=True), ledger["role"], strict=True)
            if r == "consensus"}


def _disagreements(ledger: pd.DataFrame) -> dict[tuple[str, str, str], list[str]]:
    """Unsettled disagreements: (study, outcome, domain) -> its assessors."""
    settled = _settled(ledger)
    out = {}
    assessed = ledger[ledger["role"] == "assessor"]
    for key, group in assessed.groupby(["study", "outcome", "domain"], sort=False):
        if key not in settled and len(group) >= 2 and group["judgement"].nunique() > 1:
            out[key] = list(group["assessor"])
    return out


def rob_conflicts(store: ReviewStore, tool: ToolName) -> pd.DataFrame:
    """Domains on which the assessors disagree: ``study, outcome, domain, assessors,
    judgements, settled, consensus``."""
    rob_tool(tool)
    ledger = store.rob_judgements()
    ledger = ledger[ledger["tool"] == tool]
    settled = ledger[ledger["role"] == "consensus"].set_index(
        ["study", "outcome", "domain"])["judgement"]
    out = []
    assessed = ledger[ledger["role"] == "assessor"]
    for key, group in assessed.groupby(["study", "outcome", "domain"], sort=False):
        if len(group) >= 2 and group["judgement"].nunique() > 1:
            out.append((*key, "; ".join(group["assessor"]), "; ".join(group["judgement"]),
                        key in settled.index, settled.get(key, "")))
    return pd.DataFrame(out, columns=["study", "outcome", "domain", "assessors",
                                      "judgements", "settled", "consensus"])


def consensus_rob(store: ReviewStore, tool: ToolName = "rob1", *, outcome: str = "",
                  labels: Literal["name", "id"] = "name") -> pd.DataFrame:
    """The settled risk-of-bias table: one row per study, one column per domain + Overall.

    A domain is settled when the assessors (at least two) agree or a consensus row
    settled it; otherwise its cell is empty (missing). ``Overall`` is the settled overall
    judgement where the assessors gave one, else the tool's rule applied to the settled
    domains (empty while a domain is unsettled).

    Parameters
    ----------
    store : ReviewStore
    tool : {"rob1", "rob2", "robins_i"}
    outcome : str, default ""
        The result assessed (RoB 2 judges results; ``""`` is the study as a whole). A
        study without rows for ``outcome`` falls back to its ``""`` rows.
    labels : {"name", "id"}
        Column names: the domains' names (as :func:`oncostat.plot.rob.rob_traffic_light`
        and :func:`oncostat.plot.forest` print them) or ids (D1, D2, ...).

    Returns
    -------
    DataFrame
        Indexed by study, in the order first assessed.
    """
    spec = rob_tool(tool)
    ledger = store.rob_judgements()
    ledger = ledger[ledger["tool"] == tool]
    if outcome:
        has = set(ledger.loc[ledger["outcome"] == outcome, "study"])
        ledger = ledger[(ledger["outcome"] == outcome) |
                        ((ledger["outcome"] == "") & ~ledger["study"].isin(has))]
    else:
        ledger = ledger[ledger["outcome"] == ""]
    order = list(dict.fromkeys(ledger["study"]))
    domains = [d for d, _ in spec.domains]
    table = pd.DataFrame(index=pd.Index(order, name="study"),
                         columns=[*domains, OVERALL], dtype=object)
    for (study, domain), group in ledger.groupby(["study", "domain"], sort=False):
        agreed = group.loc[group["role"] == "consensus", "judgement"]
        assessed = group.loc[group["role"] == "assessor", "judgement"]
        if len(agreed):
            table.at[study, domain] = agreed.iloc[0]
        elif len(assessed) >= 2 and assessed.nunique() == 1:
            table.at[study, domain] = assessed.iloc[0]
    for study in order:
        values = table.loc[study, domains]
        if pd.isna(table.at[study, OVERALL]) and values.notna().all():
            table.at[study, OVERALL] = spec.overall(list(values))
    if labels == "name":
        table.columns = [*(n for _, n in spec.domains), OVERALL]
    return table
