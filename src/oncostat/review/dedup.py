"""De-duplication of bibliographic records: duplicates become clusters, nothing is deleted.

:func:`find_duplicates` works on a records table (the columns of
``ReviewStore.records()``) in four steps, as ASySD does [1]_:

1. **Keys.** Titles, authors, DOIs, pages, volumes, ISSNs and journals are normalised
   (:mod:`oncostat.review.normalise`), so that database-specific spellings compare equal.
2. **Candidate pairs.** Records sharing a DOI or a PMID, and records that meet in a block
   -- same title, same first author and year, same volume and first page, or within a
   window of each other when sorted by title (forwards and backwards) -- are compared;
   nothing else is, which keeps 50,000 records well under a minute (sorted-neighbourhood
   blocking, [3]_).
3. **Rules.** Each pair gets the first rule in :data:`RULES` that it meets, and with it a
   decision: ``"duplicate"``, ``"uncertain"`` (goes to the review queue) or ``"distinct"``.
   Similarities are rapidfuzz's normalised Indel similarity of the keys.
4. **Clusters.** Manual decisions are replayed first: a manual ``"duplicate"`` joins two
   records, a manual ``"distinct"`` forbids any cluster holding both. Then duplicate pairs
   join clusters from the most to the least similar, skipping a join that a manual
   ``"distinct"`` forbids -- which is how a reviewer splits a cluster that chained
   through a false match. Each cluster gets a representative by the declared policy.

References
----------
.. [1] Hair K, Bahor Z, Macleod M, Liao J, Sena ES. The Automated Systematic Search
       Deduplicator (ASySD): a rapid, open-source, interoperable tool to remove duplicate
       citations in biomedical systematic reviews. BMC Biol. 2023;21:189.
.. [2] Rathbone J, Carter M, Hoffmann T, Glasziou P. Better duplicate detection for
       systematic reviewers: evaluation of Systematic Review Assistant-Deduplication
       Module. Syst Rev. 2015;4:6.
.. [3] Hernández MA, Stolfo SJ. The merge/purge problem for large databases.
       SIGMOD Rec. 1995;24(2):127-138.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from oncostat._results import ResultMixin, jsonable
from oncostat.errors import InputError
from oncostat.review import normalise as nz

if TYPE_CHECKING:
    from oncostat.review.store import ReviewStore

__all__ = ["RULES", "DedupResult", "Thresholds", "deduplicate", "find_duplicates"]

Policy = Literal["most_complete", "source_priority", "earliest"]

RULES: dict[str, str] = {
    "manual": "a reviewer's decision, replayed on every run",
    "doi": "same DOI and titles at least `id_title` similar",
    "pmid": "same PubMed ID and titles at least `id_title` similar",
    "notice": "an erratum, retraction, reply or comment and a record of another kind",
    "year_conflict": "publication years more than one year apart",
    "page_conflict": "different first pages, or last pages more than one apart",
    "title_numbers": "different numbers in the titles (volume 1 / volume 2, phase II / III)",
    "id_conflict": "different DOIs or PMIDs, and not same title, authors, year and page",
    "volume_conflict": "different issues, or different volumes and first pages",
    "short_title": "titles under 25 characters, without the same year, volume and pages "
                   "(or the same two or more authors in the same journal volume)",
    "venue_conflict": "a conference paper and a journal article in different venues",
    "title_authors_year": "near-identical titles, same authors, same year (or 1 apart in "
                          "similar venues)",
    "title_biblio": "similar titles, same year, same first page or volume, same authors",
    "title_authors_venue": "similar titles, same authors, same year and journal",
    "title_prefix": "one title is the other without its subtitle; same authors and year",
    "biblio": "same authors, year, journal, volume and pages (a translated title)",
    "title_year_venue": "near-identical titles, same year, overlapping names, similar venue",
    "similar": "similar titles and authors, not enough agreement to merge: review",
    "dissimilar": "nothing above (not stored)",
}
"""Name and meaning of each rule, in the order they are tried (``manual`` first)."""

_FIELDS = ("title", "authors", "year", "journal", "volume", "issue", "pages", "doi", "pmid",
           "isbn", "abstract")
_CONFERENCE = ("conf", "proceed", "inproceedings", "cpaper", "meeting", "abstract")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Similarity thresholds of the rules, on rapidfuzz's 0-1 scale.

    Attributes
    ----------
    title_near : float
        Titles this similar count as near-identical (``title_authors_year``).
    title : float
        Titles this similar may be merged given bibliographic agreement (``title_biblio``,
        ``title_authors_venue``).
    authors : float
        Author lists (surnames, compared over the shorter list) this similar are the same.
    uncertain : float
        Pairs with titles this similar that no rule merges go to the review queue.
    id_title : float
        A shared DOI or PMID merges records whose titles are at least this similar
        (supplements share one DOI between abstracts).
    window : int
        Sorted-neighbourhood window: each record is compared with this many neighbours in
        title order and in reversed-title order.
    max_block : int
        Blocks larger than this (e.g. one author-year with hundreds of records) are left
        to the sorted neighbourhood.
    """

    title_near: float = 0.95
    title: float = 0.85
    authors: float = 0.75
    uncertain: float = 0.80
    id_title: float = 0.75
    window: int = 6
    max_block: int = 60


def find_duplicates(
    records: pd.DataFrame,
    *,
    policy: Policy = "most_complete",
    source_priority: Sequence[str] | None = None,
    manual: pd.DataFrame | None = None,
    thresholds: Thresholds | Mapping[str, float] | None = None,
    progress: bool | None = None,
) -> DedupResult:
    """Group records that describe the same report into clusters [1]_.

    Parameters
    ----------
    records : DataFrame
        One row per imported record, with ``record_id`` and any of the store's columns
        ``title, authors, year, journal, volume, issue, pages, doi, pmid, isbn, abstract,
        type, database, batch_id, position`` (missing columns count as empty).
    policy : {"most_complete", "source_priority", "earliest"}, default "most_complete"
        Representative of each cluster: the record with most non-empty fields; the record
        from the first database in ``source_priority``; or the earliest imported (lowest
        ``batch_id``, then ``position``). Ties go to the earliest imported.
    source_priority : sequence of str, optional
        Database names, best first (``policy="source_priority"``); others rank last.
    manual : DataFrame, optional
        Reviewer decisions ``record_a, record_b, decision`` (``"duplicate"`` or
        ``"distinct"``); the last row for a pair wins. Applied before any rule.
    thresholds : Thresholds or mapping, optional
        Overrides of :class:`Thresholds`' defaults.
    progress : bool, optional
        Progress bar on stderr; by default only when stderr is a terminal.

    Returns
    -------
    DedupResult
        Clusters (every record, with its representative), the duplicate and uncertain
        pairs (the review queue) and counts.

    Notes
    -----
    ASySD's rules [1]_ are the model: exact identifiers first, then fuzzy titles required
    to agree with authors, year and a bibliographic field; conflicts (different DOIs,
    pages, years, or an erratum against its article) veto a match, which keeps
    specificity high as Rathbone et al. recommend for automated removal [2]_. The
    validation against the labelled sets of ASySD and bib-dedupe is in
    ``benchmarks/bench_dedup.py``.

    Examples
    --------
    >>> import pandas as pd
    >>> from oncostat.review.dedup import find_duplicates
    >>> recs = pd.DataFrame({"record_id": [1, 2, 3],
    ...     "title": ["Intestinal lipoprotein overproduction in insulin-resistant states",
    ...               "Intestinal lipoprotein overproduction in insulin resistant states.",
    ...               "SGLT2 inhibition improves coronary microvascular function"],
    ...     "authors": ["Adeli, K; Lewis, GF", "Adeli K.Lewis G. F.", "Adingupu, DD"],
    ...     "year": [2008, 2008, 2017], "pages": ["221-8", "221-228", "893"]})
    >>> find_duplicates(recs).n_duplicates
    1
    """
    th = _thresholds(thresholds)
    if policy not in ("most_complete", "source_priority", "earliest"):
        raise InputError(f"policy: expected 'most_complete', 'source_priority' or 'earliest', "
                         f"got {policy!r}")
    if policy == "source_priority" and not source_priority:
        raise InputError("policy 'source_priority' needs source_priority, a list of database "
                         "names, best first")
    if "record_id" not in records.columns:
        raise InputError("records: column 'record_id' is missing")
    ids = records["record_id"].to_numpy()
    if pd.isna(records["record_id"]).any():
        row = int(np.flatnonzero(pd.isna(records["record_id"]).to_numpy())[0]) + 1
        raise InputError(f"records: column 'record_id', row {row}: expected an id, got NA")
    dup = records["record_id"].duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0]) + 1
        raise InputError(f"records: column 'record_id', row {row}: id {ids.tolist()[row - 1]!r} "
                         f"occurs twice")
    show = sys.stderr.isatty() if progress is None else progress
    keys = _Keys.from_records(records)
    manual_pairs = _manual_pairs(manual, records["record_id"])
    cand = _candidates(keys, th)
    pairs = _score(keys, cand, th, show)
    clusters, pairs = _cluster(records, keys, pairs, manual_pairs, policy,
                               list(source_priority or ()))
    settings = {"policy": policy, "source_priority": list(source_priority or ()),
                "thresholds": asdict(th), "n_manual": len(manual_pairs)}
    n_clusters = int(clusters["cluster_id"].nunique())
    return DedupResult(clusters=clusters, pairs=pairs, n_records=len(records),
                       n_clusters=n_clusters, n_duplicates=len(records) - n_clusters,
                       settings=settings)


def deduplicate(store: ReviewStore, **kwargs: Any) -> DedupResult:
    """De-duplicate the records of a review store and save the run in it.

    Reads ``store.records()`` and ``store.manual_decisions()``, runs
    :func:`find_duplicates` (``kwargs`` are its options) and saves clusters, pairs and
    settings with ``store.save_dedup_run``, so manual decisions made since the last run
    are replayed.
    """
    if "manual" in kwargs:
        raise InputError("dedup: manual decisions come from the store; use "
                         "store.add_manual_decision(...)")
    result = find_duplicates(store.records(), manual=store.manual_decisions(), **kwargs)
    run_id = store.save_dedup_run(result.clusters[["record_id", "cluster_id",
                                                   "is_representative"]],
                                  result.pairs[["record_a", "record_b", "score", "decision",
                                                "rule"]],
                                  result.settings)
    return replace(result, run_id=run_id)


@dataclass(frozen=True, slots=True)
class DedupResult(ResultMixin):
    """Result of :func:`find_duplicates`; see its docstring.

    ``clusters`` has one row per record (``record_id, cluster_id, is_representative``,
    plus ``source_id`` and ``database`` when the records had them); ``pairs`` has the
    pairs with a decision other than "dissimilar" (``record_a, record_b, score,
    decision, rule``).
    """

    clusters: pd.DataFrame = field(repr=False)
    pairs: pd.DataFrame = field(repr=False)
    n_records: int
    n_clusters: int
    n_duplicates: int
    settings: dict[str, Any] = field(repr=False)
    run_id: Any = None

    @property
    def review_queue(self) -> pd.DataFrame:
        """Uncertain pairs that no reviewer has decided yet, most similar first."""
        q = self.pairs[self.pairs["decision"] == "uncertain"]
        return q.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)

    def cluster_table(self) -> pd.DataFrame:
        """``record_id, cluster_id`` for every record, the id being the file's own id
        (``source_id``) where the import kept one: what ``--clusters-out`` writes."""
        c = self.clusters
        rid = c["record_id"]
        if "source_id" in c.columns:
            rid = c["source_id"].where(c["source_id"].notna(), c["record_id"])
        return pd.DataFrame({"record_id": rid.to_numpy(), "cluster_id": c["cluster_id"]})

    def __str__(self) -> str:
        rules = self.pairs.loc[self.pairs["decision"] == "duplicate", "rule"].value_counts()
        lines = [f"De-duplication of {self.n_records:,} records "
                 f"(representative: {self.settings['policy'].replace('_', ' ')})",
                 f"  {self.n_clusters:,} unique records; {self.n_duplicates:,} duplicates "
                 f"in {int((self.clusters.groupby('cluster_id').size() > 1).sum()):,} "
                 f"clusters",
                 f"  {len(self.review_queue):,} uncertain pairs in the review queue; "
                 f"{self.settings['n_manual']:,} manual decisions replayed"]
        if len(rules):
            lines.append("  Duplicate pairs by rule: " + ", ".join(
                f"{r} {n:,}" for r, n in rules.items()))
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """The clusters table: one row per record."""
        return self.clusters.copy()

    def to_dict(self) -> dict[str, Any]:
        """Counts, settings, duplicate pairs by rule and the review queue (JSON-safe)."""
        rules = self.pairs.loc[self.pairs["decision"] == "duplicate", "rule"].value_counts()
        return jsonable({"n_records": self.n_records, "n_clusters": self.n_clusters,
                         "n_duplicates": self.n_duplicates, "run_id": self.run_id,
                         "settings": self.settings, "duplicate_pairs_by_rule": rules.to_dict(),
                         "review_queue": self.review_queue})


def _thresholds(value: Thresholds | Mapping[str, float] | None) -> Thresholds:
    if value is None or isinstance(value, Thresholds):
        return value or Thresholds()
    known = set(Thresholds.__dataclass_fields__)
    bad = sorted(set(value) - known)
    if bad:
        raise InputError(f"thresholds: unknown name {bad[0]!r}; expected one of "
                         f"{', '.join(sorted(known))}")
    return Thresholds(**value)


# --------------------------------------------------------------------------- keys


@dataclass(slots=True)
class _Keys:
    n: int
    title: list[str]
    title_alt: list[str]
    numbers: list[frozenset[str]]
    surnames: list[tuple[str, ...]]
    names: list[tuple[str, ...]]
    first_author: list[str]
    year: np.ndarray            # float, NaN when missing
    journal: list[tuple[str, ...]]
    volume: list[str]
    issue: list[str]
    page: list[str]
    last_page: list[str]
    doi: list[str]
    pmid: list[str]
    issn: list[frozenset[str]]
    conference: np.ndarray      # bool
    notice: list[str]
    filled: np.ndarray          # non-empty fields per record

    @classmethod
    def from_records(cls, records: pd.DataFrame) -> _Keys:
        n = len(records)

        def col(name: str) -> list[Any]:
            if name in records.columns:
                return records[name].tolist()
            return [None] * n

        titles = [nz.title_keys(t) for t in col("title")]
        surnames = [nz.author_surnames(a) for a in col("authors")]
        first = col("first_author_surname")
        first_author = [nz.normalise_text(f) if isinstance(f, str) and f.strip()
                        else (s[0] if s else "") for f, s in zip(first, surnames, strict=True)]
        years = np.array([np.nan if (y := nz.year_key(v)) is None else y for v in col("year")],
                         dtype=float)
        pages = col("first_page") if "first_page" in records.columns else col("pages")
        kinds = [nz.normalise_text(t) for t in col("type")]
        title_key = [t[0] for t in titles]
        filled = np.zeros(n, dtype=int)
        for name in _FIELDS:
            if name in records.columns:
                v = records[name]
                filled += (v.notna() & (v.astype(str).str.strip() != "")).to_numpy()
        return cls(
            n=n, title=title_key, title_alt=[t[1] for t in titles],
            numbers=[frozenset(re.findall(r"\d+", t)) for t in title_key],
            surnames=surnames, names=[nz.author_words(a) for a in col("authors")],
            first_author=first_author, year=years,
            journal=[nz.journal_key(j) for j in col("journal")],
            volume=[nz.volume_key(v) for v in col("volume")],
            issue=[nz.volume_key(v) for v in col("issue")],
            page=[nz.first_page(p) for p in pages],
            last_page=[nz.last_page(p) for p in col("pages")],
            doi=[nz.doi_key(d) for d in col("doi")],
            pmid=[nz.normalise_text(p).replace(" ", "") for p in col("pmid")],
            issn=[nz.issn_keys(v) for v in col("isbn")],
            conference=np.array([any(c in k for c in _CONFERENCE) for k in kinds], dtype=bool),
            notice=[nz.notice_kind(t) for t in title_key],
            filled=filled,
        )


# --------------------------------------------------------------------------- blocking


def _block_pairs(values: Sequence[Any], max_block: int) -> np.ndarray:
    """Pair codes ``i * n + j`` (i < j) of records sharing a non-empty value."""
    n = len(values)
    codes, _ = pd.factorize(pd.Series([v if v else None for v in values], dtype=object))
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    sizes = np.diff(np.r_[starts, n])
    out = []
    for s, size in zip(starts, sizes, strict=True):
        if size < 2 or size > max_block or sorted_codes[s] < 0:
            continue
        members = np.sort(order[s:s + size])
        a, b = np.triu_indices(size, k=1)
        out.append(members[a] * n + members[b])
    return np.concatenate(out) if out else np.empty(0, dtype=np.int64)


def _window_pairs(sort_key: Sequence[str], window: int) -> np.ndarray:
    n = len(sort_key)
    order = np.argsort(np.array(sort_key, dtype=object), kind="stable")
    present = np.array([bool(sort_key[i]) for i in order])
    order = order[present]
    out = []
    for k in range(1, window + 1):
        if k >= len(order):
            break
        a, b = order[:-k], order[k:]
        out.append(np.minimum(a, b) * n + np.maximum(a, b))
    return np.concatenate(out) if out else np.empty(0, dtype=np.int64)


def _candidates(keys: _Keys, th: Thresholds) -> np.ndarray:
    n = keys.n
    year = [str(int(y)) if np.isfinite(y) else "" for y in keys.year]
    blocks = [
        _block_pairs(keys.doi, th.max_block),
        _block_pairs(keys.pmid, th.max_block),
        _block_pairs(keys.title, th.max_block),
        _block_pairs(keys.title_alt, th.max_block),
        _block_pairs([f"{a}|{y}" if a and y else "" for a, y in
                      zip(keys.first_author, year, strict=True)], th.max_block),
        _block_pairs([f"{v}|{p}" if v and p else "" for v, p in
                      zip(keys.volume, keys.page, strict=True)], th.max_block),
        _window_pairs(keys.title, th.window),
        _window_pairs([t[::-1] for t in keys.title], th.window),
        _window_pairs([t.replace(" ", "") for t in keys.title], th.window),
    ]
    alt = [t for t in keys.title_alt if t]
    if alt:
        # an original-language title against the other records' titles
        both = keys.title + keys.title_alt
        w = _window_pairs(both, th.window)
        a, b = w // (2 * n), w % (2 * n)
        blocks.append(np.minimum(a % n, b % n) * n + np.maximum(a % n, b % n))
    codes = np.unique(np.concatenate(blocks))
    return codes[codes // n != codes % n]


# --------------------------------------------------------------------------- rules


def _sim(a: list[str], b: list[str]) -> np.ndarray:
    """Elementwise Indel similarity (0-1); 0 where either side is empty."""
    if not a:
        return np.empty(0)
    return process.cpdist(a, b, scorer=fuzz.ratio, workers=-1) / 100.0


def _score(keys: _Keys, codes: np.ndarray, th: Thresholds, show: bool) -> pd.DataFrame:
    n = keys.n
    ia, ib = codes // n, codes % n
    t = np.array(keys.title, dtype=object)
    ta = np.array(keys.title_alt, dtype=object)
    title = _sim(list(t[ia]), list(t[ib]))
    if any(keys.title_alt):
        title = np.maximum.reduce([title, _sim(list(ta[ia]), list(t[ib])),
                                   _sim(list(t[ia]), list(ta[ib]))])
    same = [keys.doi, keys.pmid, [f"{v}|{p}" if v and p else "" for v, p in
                                   zip(keys.volume, keys.page, strict=True)]]
    shared = [np.array([k[i] != "" and k[i] == k[j] for i, j in zip(ia, ib, strict=True)],
                       dtype=bool) for k in same]
    prefix = np.array([_prefix(keys.title[i], keys.title[j]) for i, j in zip(ia, ib, strict=True)],
                      dtype=bool)
    keep = (title >= min(th.uncertain, th.title) - 0.05) | prefix | np.logical_or.reduce(shared)
    ia, ib, title = ia[keep], ib[keep], title[keep]
    doi_eq, pmid_eq = shared[0][keep], shared[1][keep]
    decisions: list[str] = []
    rules: list[str] = []
    scores = np.empty(len(ia))
    rows = zip(ia.tolist(), ib.tolist(), title.tolist(), doi_eq.tolist(), pmid_eq.tolist(),
               strict=True)
    for k, (i, j, ts, deq, peq) in enumerate(_progress(rows, len(ia), show)):
        decision, rule, score = _decide(keys, i, j, ts, deq, peq, th)
        decisions.append(decision)
        rules.append(rule)
        scores[k] = score
    pairs = pd.DataFrame({"a": ia, "b": ib, "score": scores, "decision": decisions,
                          "rule": rules})
    return pairs[pairs["decision"] != "distinct"].reset_index(drop=True)


def _progress(rows: Any, total: int, show: bool) -> Any:
    if not show:
        yield from rows
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("Comparing record pairs", total=total)
        for k, row in enumerate(rows):
            if k % 2000 == 0:
                bar.update(task, completed=k)
            yield row


def _authors_sim(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Similarity of two surname lists: in order over the shorter list (databases truncate
    lists), or as sets (some reorder them), whichever is higher; NaN when one is empty."""
    if not a or not b:
        return np.nan
    k = min(len(a), len(b), 10)
    ordered = fuzz.ratio(" ".join(a[:k]), " ".join(b[:k]))
    return max(ordered, fuzz.token_sort_ratio(a, b)) / 100.0


def _names_overlap(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Word-set similarity of two author lists, for lists whose surnames and given names
    were swapped by an export ("Jooa Julia, Lee"); NaN when one is empty."""
    if not a or not b:
        return np.nan
    return fuzz.token_set_ratio(" ".join(a), " ".join(b)) / 100.0


def _journal_same(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """1 when one journal title abbreviates the other word by word ("Curr Opin Lipidol" and
    "Current Opinion in Lipidology") or names it by its acronym ("ICIS: Transforming
    Society ..." and "International Conference on Information Systems"), else their
    similarity; NaN when either is missing."""
    if not a or not b:
        return np.nan
    if len(a) == len(b) and all(x.startswith(y) or y.startswith(x)
                                for x, y in zip(a, b, strict=True)):
        return 1.0
    for x, y in ((a, b), (b, a)):
        acronym = "".join(w[0] for w in x if not w.isdigit())
        if len(acronym) >= 3 and acronym in y:
            return 1.0
    return fuzz.ratio(" ".join(a), " ".join(b)) / 100.0


def _agree(x: str, y: str) -> float:
    """1 equal, 0 different, NaN when either is missing."""
    if not x or not y:
        return np.nan
    return 1.0 if x == y else 0.0


def _page_agree(x: str, y: str) -> float:
    """Like :func:`_agree`, but "S124" and "124", "e1002" and "1002" agree (databases
    differ in keeping supplement and e-location prefixes)."""
    if not x or not y:
        return np.nan
    return 1.0 if x == y or x.lstrip("SE") == y.lstrip("SE") else 0.0


def _adjacent(x: str, y: str) -> bool:
    """Last pages one apart ("165-183" and "165-184" are the same paper in two databases)."""
    return x.isdigit() and y.isdigit() and abs(int(x) - int(y)) == 1


def _prefix(a: str, b: str) -> bool:
    """One title is the other's main title (a database dropped the subtitle)."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return len(short.split()) >= 3 and long.startswith(short + " ")


def _decide(keys: _Keys, i: int, j: int, title: float, doi_eq: bool, pmid_eq: bool,
            th: Thresholds) -> tuple[str, str, float]:
    authors = _authors_sim(keys.surnames[i], keys.surnames[j])
    names = _names_overlap(keys.names[i], keys.names[j])
    ya, yb = keys.year[i], keys.year[j]
    dyear = abs(ya - yb) if np.isfinite(ya) and np.isfinite(yb) else np.nan
    journal = _journal_same(keys.journal[i], keys.journal[j])
    volume = _agree(keys.volume[i], keys.volume[j])
    issue = _agree(keys.issue[i], keys.issue[j])
    page = _page_agree(keys.page[i], keys.page[j])
    last = _agree(keys.last_page[i], keys.last_page[j])
    doi = _agree(keys.doi[i], keys.doi[j])
    pmid = _agree(keys.pmid[i], keys.pmid[j])
    issn = (np.nan if not keys.issn[i] or not keys.issn[j]
            else float(bool(keys.issn[i] & keys.issn[j])))
    same_authors = authors >= th.authors or np.isnan(authors)
    close_authors = same_authors or names >= th.authors
    same_journal = journal >= 0.9 or issn == 1
    parts = [(title, 4.0), (authors, 2.0), (journal, 1.0), (volume, 0.5), (page, 1.0),
             (1.0 - min(dyear, 1.0) if np.isfinite(dyear) else np.nan, 1.0)]
    w = sum(wt for v, wt in parts if np.isfinite(v))
    score = sum(v * wt for v, wt in parts if np.isfinite(v)) / w
    if (doi_eq or pmid_eq) and title >= th.id_title:
        return "duplicate", "doi" if doi_eq else "pmid", score
    if keys.notice[i] != keys.notice[j]:
        return "distinct", "notice", score
    if dyear > 1:
        return "distinct", "year_conflict", score
    if page == 0 or (last == 0 and not _adjacent(keys.last_page[i], keys.last_page[j])):
        return "distinct", "page_conflict", score
    if keys.numbers[i] and keys.numbers[j] and keys.numbers[i] != keys.numbers[j]:
        return "distinct", "title_numbers", score
    if (doi == 0 or pmid == 0) and not (doi_eq or pmid_eq) and not (
            title >= th.title_near and same_authors and dyear == 0 and page == 1
            and last != 0 and volume != 0 and issue != 0):
        return "distinct", "id_conflict", score
    if issue == 0 or (volume == 0 and page != 1):
        return "distinct", "volume_conflict", score
    many_authors = min(len(keys.surnames[i]), len(keys.surnames[j])) >= 2
    if min(len(keys.title[i]), len(keys.title[j])) < 25 and not (
            dyear == 0 and volume != 0 and ((page == 1 and last != 0) or (
                many_authors and authors >= 0.95 and same_journal and volume == 1))):
        # "Editorial", "Editorial introduction", "Reply": the title says nothing
        return ("uncertain" if title >= th.title_near and same_authors else "distinct",
                "short_title", score)
    if keys.conference[i] != keys.conference[j] and not same_journal and page != 1:
        return ("uncertain" if title >= th.title_near and same_authors else "distinct",
                "venue_conflict", score)
    if title >= th.title_near and same_authors and (dyear == 0 or np.isnan(dyear) or (
            dyear == 1 and not journal < 0.6)):
        return "duplicate", "title_authors_year", score
    if title >= th.title and dyear == 0 and (page == 1 or volume == 1) and close_authors:
        return "duplicate", "title_biblio", score
    if title >= th.title and dyear == 0 and same_authors and same_journal:
        return "duplicate", "title_authors_venue", score
    if _prefix(keys.title[i], keys.title[j]) and close_authors and dyear == 0 and (
            page == 1 or same_journal):
        return "duplicate", "title_prefix", score
    if (page == 1 and last == 1 and volume == 1 and issue != 0 and dyear == 0 and same_journal
            and authors >= th.authors):
        return "duplicate", "biblio", score
    if title >= th.title_near and dyear == 0 and names >= 0.5 and journal >= 0.6:
        return "duplicate", "title_year_venue", score
    if title >= th.uncertain and close_authors:
        return "uncertain", "similar", score
    return "distinct", "dissimilar", score


# --------------------------------------------------------------------------- clusters


def _manual_pairs(manual: pd.DataFrame | None, ids: pd.Series) -> dict[tuple[Any, Any], str]:
    if manual is None or len(manual) == 0:
        return {}
    for c in ("record_a", "record_b", "decision"):
        if c not in manual.columns:
            raise InputError(f"manual decisions: column {c!r} is missing")
    known = set(ids.tolist())
    out: dict[tuple[Any, Any], str] = {}
    for row, (a, b, d) in enumerate(zip(manual["record_a"], manual["record_b"],
                                        manual["decision"], strict=True), start=1):
        if d not in ("duplicate", "distinct"):
            raise InputError(f"manual decisions: column 'decision', row {row}: expected "
                             f"'duplicate' or 'distinct', got {d!r}")
        for v in (a, b):
            if v not in known:
                raise InputError(f"manual decisions, row {row}: record {v!r} is not among "
                                 f"the records")
        out[(a, b) if str(a) <= str(b) else (b, a)] = d
    return out


class _Components:
    """Union-find with cannot-link sets per component."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.forbid: dict[int, set[int]] = {}

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def forbidden(self, ra: int, rb: int) -> bool:
        fa = self.forbid.get(ra, set())
        return any(self.find(x) == rb for x in fa)

    def union(self, ra: int, rb: int) -> None:
        self.parent[rb] = ra
        if rb in self.forbid:
            self.forbid.setdefault(ra, set()).update(self.forbid.pop(rb))


def _cluster(records: pd.DataFrame, keys: _Keys, pairs: pd.DataFrame,
             manual: dict[tuple[Any, Any], str], policy: Policy,
             priority: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = records["record_id"].tolist()
    pos = {rid: k for k, rid in enumerate(ids)}
    uf = _Components(len(ids))
    for (a, b), d in manual.items():
        if d == "duplicate":
            ra, rb = uf.find(pos[a]), uf.find(pos[b])
            if ra != rb:
                uf.union(ra, rb)
    for (a, b), d in manual.items():
        if d == "distinct":
            ia, ib = pos[a], pos[b]
            if uf.find(ia) == uf.find(ib):
                raise InputError(f"manual decisions: records {a!r} and {b!r} are marked "
                                 f"distinct, but manual 'duplicate' decisions join them")
            uf.forbid.setdefault(uf.find(ia), set()).add(ib)
            uf.forbid.setdefault(uf.find(ib), set()).add(ia)
    rec_a = [ids[i] for i in pairs["a"]]
    rec_b = [ids[i] for i in pairs["b"]]
    decision = pairs["decision"].tolist()
    rule = pairs["rule"].tolist()
    mkey = [(x, y) if str(x) <= str(y) else (y, x) for x, y in zip(rec_a, rec_b, strict=True)]
    for k, key in enumerate(mkey):
        if key in manual:
            decision[k], rule[k] = manual[key], "manual"
    order = np.argsort(-pairs["score"].to_numpy(), kind="stable")
    for k in order:
        if decision[k] != "duplicate" or rule[k] == "manual":
            continue
        ra, rb = uf.find(int(pairs["a"].iat[k])), uf.find(int(pairs["b"].iat[k]))
        if ra == rb:
            continue
        if uf.forbidden(ra, rb) or uf.forbidden(rb, ra):
            decision[k], rule[k] = "distinct", f"{rule[k]} (cluster split by a manual decision)"
            continue
        uf.union(ra, rb)
    seen = set(mkey)
    extra = [(a, b, d) for (a, b), d in manual.items() if (a, b) not in seen]
    out = pd.DataFrame({
        "record_a": rec_a + [a for a, _, _ in extra],
        "record_b": rec_b + [b for _, b, _ in extra],
        "score": np.r_[pairs["score"].to_numpy(), np.full(len(extra), np.nan)],
        "decision": decision + [d for _, _, d in extra],
        "rule": rule + ["manual"] * len(extra),
    })
    roots = np.array([uf.find(k) for k in range(len(ids))])
    rank = _rank(records, keys, policy, priority)
    # representative: best rank within each component
    order = np.lexsort((rank, roots))
    first = np.r_[True, roots[order][1:] != roots[order][:-1]]
    rep = np.zeros(len(ids), dtype=bool)
    rep[order[first]] = True
    # cluster ids 1..k in order of each cluster's first record
    _, first_seen = np.unique(roots, return_index=True)
    numbering = {roots[i]: c for c, i in enumerate(np.sort(first_seen), start=1)}
    clusters = pd.DataFrame({"record_id": ids,
                             "cluster_id": [numbering[r] for r in roots],
                             "is_representative": rep})
    for extra_col in ("source_id", "database"):
        if extra_col in records.columns:
            clusters[extra_col] = records[extra_col].to_numpy()
    return clusters, out


def _rank(records: pd.DataFrame, keys: _Keys, policy: Policy,
          priority: list[str]) -> np.ndarray:
    """Sort key per record, lower is better, under ``policy``; ties to the earliest import."""
    n = keys.n
    import_order = np.arange(n, dtype=float)
    if "batch_id" in records.columns:
        batch = pd.to_numeric(records["batch_id"], errors="coerce").fillna(np.inf).to_numpy()
        position = (pd.to_numeric(records["position"], errors="coerce").fillna(0).to_numpy()
                    if "position" in records.columns else np.zeros(n))
        import_order = np.lexsort((np.arange(n), position, batch)).argsort().astype(float)
    if policy == "earliest":
        return import_order
    completeness = -keys.filled.astype(float)
    if policy == "most_complete":
        return np.lexsort((import_order, completeness)).argsort()
    db = records["database"] if "database" in records.columns else pd.Series([None] * n)
    place = {name.casefold(): k for k, name in enumerate(priority)}
    source = np.array([place.get(str(d).casefold(), len(priority)) for d in db], dtype=float)
    return np.lexsort((import_order, completeness, source)).argsort()
