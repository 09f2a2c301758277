"""Prioritised title/abstract screening: relevance learned from the decisions so far.

Active learning as ASReview does it [1]_: titles and abstracts become TF-IDF vectors
(unigrams and bigrams, sublinear term frequency, terms in at least 3 and at most 95% of
records), a model is fitted to the records decided so far and the undecided records are
ranked by predicted relevance ("maximum" query). Refitting after every batch of
decisions puts most relevant records early in the queue, so reviewers find nearly all
includes having screened a fraction of the records.

Two models (:func:`relevance`): multinomial Naive Bayes [4]_, [5]_ trained with
ASReview's "double" dynamic balance, which oversamples the includes [3]_ (the default,
as in ASReview's simulation studies [1]_, [3]_), and L2 logistic regression with
balanced class weights. ASReview's default smoothing is ``alpha = 3.822``, used with
unigram TF-IDF [3]_; on the uni- and bigram features here the default is ``alpha = 0.3``
with terms in at least 3 records. These two values were chosen on the two labelled sets
of ``benchmarks/bench_screening.py`` (alpha 0.05 to 3.822, at least 2 to 8 records;
mean over 10 starting pairs; the setting with the smallest worst-case shortfall against
ASReview's published WSS@95 and RRF@10), so the benchmark figures are in-sample for
them; with ``alpha = 3.822`` Naive Bayes falls up to 5 points short there.

The fraction saved is measured by :func:`simulate` on labelled sets with WSS@95 (work
saved over sampling at 95% recall [2]_) and recall after screening 10% (RRF@10). No
stopping rule guarantees recall on a new review: :func:`stopping_report` states what a
"stop after k consecutive irrelevant records" heuristic would have given, and the
benchmark ``benchmarks/bench_screening.py`` reports how it fared on labelled sets; it is
not a licence to stop early. The models are written with numpy and scipy only, so the
feature needs no extra dependency.

References
----------
.. [1] van de Schoot R, de Bruin J, Schram R, et al. An open source machine learning
       framework for efficient and transparent systematic reviews. Nat Mach Intell.
       2021;3:125-133.
.. [2] Cohen AM, Hersh WR, Peterson K, Yen PY. Reducing workload in systematic review
       preparation using automated citation classification. J Am Med Inform Assoc.
       2006;13(2):206-219.
.. [3] Ferdinands G, Schram R, de Bruin J, et al. Performance of active learning models
       for screening prioritization in systematic reviews: a simulation study into the
       Average Time to Discover relevant records. Syst Rev. 2023;12:100.
       doi:10.1186/s13643-023-02257-7. The "double" balance and its defaults as
       implemented in ASReview 0.x (``asreview/models/balance/double.py``).
.. [4] Rennie JDM, Shih L, Teevan J, Karger DR. Tackling the poor assumptions of naive
       Bayes text classifiers. Proc ICML. 2003:616-623.
.. [5] Manning CD, Raghavan P, Schütze H. Introduction to Information Retrieval.
       Cambridge University Press; 2008. Section 13.2, multinomial Naive Bayes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize, sparse

from oncostat._results import ResultMixin, jsonable
from oncostat.errors import InputError

if TYPE_CHECKING:
    from oncostat.review.store import ReviewStore

__all__ = [
    "NB_ALPHA",
    "Model",
    "SimulationResult",
    "double_balance",
    "rank_records",
    "recall_at",
    "relevance",
    "simulate",
    "stopping_report",
    "tfidf",
    "wss",
]

_TOKEN = re.compile(r"(?u)\b\w\w+\b")

Model = Literal["nb", "logistic"]
NB_ALPHA = 0.3
"""Default Naive Bayes smoothing (ASReview's, for its unigram features, is 3.822 [3]_)."""


def tfidf(texts: Sequence[str], *, min_df: int = 3, max_df: float = 0.95) -> sparse.csr_matrix:
    """TF-IDF matrix of ``texts`` (rows L2-normalised): unigrams and bigrams of lower-case
    word tokens, ``1 + log(tf)`` and smooth idf ``1 + log((1 + n) / (1 + df))`` as in
    scikit-learn's ``TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)``."""
    docs = []
    for text in texts:
        tokens = _TOKEN.findall(str(text).lower())
        docs.append(Counter(tokens + [f"{a} {b}" for a, b in pairwise(tokens)]))
    n = len(docs)
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(doc.keys())
    vocabulary = {t: j for j, t in enumerate(sorted(
        t for t, d in df.items() if d >= min_df and d <= max_df * n))}
    rows, cols, vals = [], [], []
    for i, doc in enumerate(docs):
        for term, tf in doc.items():
            j = vocabulary.get(term)
            if j is not None:
                rows.append(i)
                cols.append(j)
                vals.append(1.0 + np.log(tf))
    matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(n, len(vocabulary)))
    idf = np.array([0.0] * len(vocabulary))
    for term, j in vocabulary.items():
        idf[j] = 1.0 + np.log((1 + n) / (1 + df[term]))
    matrix = matrix @ sparse.diags(idf)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix)


def double_balance(labels: ArrayLike, *, a: float = 2.155, alpha: float = 0.94,
                   b: float = 0.789, beta: float = 1.0) -> np.ndarray:
    """Training weight of each labelled record under ASReview's "double" dynamic balance.

    ASReview [1]_ refits on a resampled training set of the same size ``n`` as the
    records screened so far, in which includes are copied and excludes subsampled [3]_:
    includes get the share ``w1 n1 / (w1 n1 + w0 n0)``, clipped to at least one and at
    most ``n - 2`` records, with ``w1 = a (n1 / n0) ** -alpha`` (more weight while
    includes are rare) and ``w0 = 1 - (1 - b) (1 + log n) ** -beta``. The weights
    returned are the expected number of copies of each record in that sample, so the
    fit is deterministic where ASReview draws the sample at random.

    Parameters
    ----------
    labels : array_like of 0/1
        Labels of the records screened so far; both classes present.
    a, alpha, b, beta : float
        ASReview's defaults ``DoubleBalance(a=2.155, alpha=0.94, b=0.789, beta=1.0)``.

    Returns
    -------
    ndarray
        One weight per record; the weights sum to ``n``.
    """
    y = np.asarray(labels, dtype=int)
    n, n1 = len(y), int(y.sum())
    n0 = n - n1
    w1 = a * (n1 / n0) ** -alpha
    w0 = 1 - (1 - b) * (1 + np.log(n)) ** -beta
    n1_train = max(1.0, min(n - 2.0, w1 * n1 * n / (w1 * n1 + w0 * n0)))
    return np.where(y == 1, n1_train / n1, (n - n1_train) / n0)


def _naive_bayes(x: sparse.csr_matrix, y: np.ndarray, weight: np.ndarray,
                 alpha: float) -> tuple[np.ndarray, float]:
    """Multinomial Naive Bayes with additive smoothing ``alpha`` on weighted feature
    counts [4]_, [5]_ (scikit-learn's ``MultinomialNB(alpha).fit(x, y, sample_weight)``),
    as the linear function giving posterior log-odds: term coefficients
    ``log theta_1j - log theta_0j`` with ``theta_cj = (N_cj + alpha) / (N_c + alpha d)``,
    and the log prior odds as intercept."""
    counts = np.vstack([np.asarray(x.T @ (weight * (y == c))).ravel() for c in (0, 1)])
    counts += alpha
    log_theta = np.log(counts) - np.log(counts.sum(axis=1, keepdims=True))
    prior = np.log(weight[y == 1].sum()) - np.log(weight[y == 0].sum())
    return log_theta[1] - log_theta[0], float(prior)


def _logistic(x: sparse.csr_matrix, y: np.ndarray, weight: np.ndarray,
              c: float) -> tuple[np.ndarray, float]:
    """L2-penalised logistic regression with per-record ``weight`` (scikit-learn's
    ``LogisticRegression(C=c).fit(x, y, sample_weight=weight)``); returns the
    coefficients and the intercept. Newton-CG with exact Hessian-vector products: with
    many more terms than records it converges in a few iterations where L-BFGS needs
    dozens."""
    sign = 2 * y - 1
    xt = sparse.csr_matrix(x.T)

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        z = sign * (x @ beta[:-1] + beta[-1])
        # log(1 + exp(-z)) without overflow.
        value = np.sum(weight * np.logaddexp(0, -z)) + 0.5 / c * beta[:-1] @ beta[:-1]
        g = -weight * sign * np.exp(-np.logaddexp(0, z))
        return float(value), np.append(xt @ g + beta[:-1] / c, g.sum())

    def hessp(beta: np.ndarray, p: np.ndarray) -> np.ndarray:
        eta = x @ beta[:-1] + beta[-1]
        # p(1 - p) of the logistic function, computed in logs to avoid overflow.
        curvature = np.exp(-np.logaddexp(0, eta) - np.logaddexp(0, -eta))
        d = weight * curvature * (x @ p[:-1] + p[-1])
        return np.append(xt @ d + p[:-1] / c, d.sum())

    start = np.zeros(x.shape[1] + 1)
    beta = optimize.minimize(loss, start, jac=True, hessp=hessp, method="Newton-CG").x
    return beta[:-1], float(beta[-1])


def relevance(features: sparse.csr_matrix, labelled: ArrayLike, labels: ArrayLike, *,
              model: Model = "nb", alpha: float = NB_ALPHA, c: float = 1.0) -> np.ndarray:
    """Relevance scores (log-odds) of every row of ``features`` from a model fitted to the
    rows ``labelled`` (indices) with 0/1 ``labels``.

    Parameters
    ----------
    features : sparse matrix
        TF-IDF rows of all records (:func:`tfidf`).
    labelled : array_like of int
        Row indices of the records screened so far.
    labels : array_like of 0/1
        Their decisions; at least one of each.
    model : {"nb", "logistic"}, default "nb"
        ``"nb"``: multinomial Naive Bayes with smoothing ``alpha`` [4]_, [5]_, trained
        with ASReview's "double" balance (:func:`double_balance`) -- ASReview's default
        model in the simulations of [1]_ and [3]_. ``"logistic"``: L2 logistic
        regression with inverse penalty ``c`` and balanced class weights
        ``n / (2 n_c)``.
    alpha : float, default 0.3
        Naive Bayes smoothing (:data:`NB_ALPHA`; ASReview's is 3.822).
    c : float, default 1.0
        Logistic regression inverse L2 penalty.

    Returns
    -------
    ndarray
        Posterior log-odds of relevance (Naive Bayes) or linear predictor (logistic),
        one per row of ``features``.
    """
    index = np.asarray(labelled, dtype=int)
    y = np.asarray(labels, dtype=int)
    if not (0 < y.sum() < len(y)):
        raise InputError("prioritisation needs at least one included and one excluded "
                         "record among the decisions so far")
    rows = features[index]
    if model == "nb":
        coef, intercept = _naive_bayes(rows, y, double_balance(y), alpha)
        return features @ coef + intercept
    if model != "logistic":
        raise InputError(f"model: expected 'nb' or 'logistic', got {model!r}")
    weight = np.where(y == 1, len(y) / (2 * y.sum()), len(y) / (2 * (len(y) - y.sum())))
    # Terms absent from the labelled records keep a zero coefficient under the L2
    # penalty, so the model is fitted on the others only (much faster early on).
    used = np.flatnonzero(rows.getnnz(axis=0))
    coef, intercept = _logistic(sparse.csr_matrix(rows[:, used]), y, weight, c)
    return features[:, used] @ coef + intercept


def rank_records(store: ReviewStore, *, model: Model = "nb") -> pd.DataFrame:
    """Relevance of every record from the title/abstract decisions so far.

    A record counts as included when any reviewer included it (or said maybe) and no
    adjudication excluded it; as excluded when every decision on it is an exclusion.
    ``model`` is passed to :func:`relevance`.

    Returns
    -------
    DataFrame
        ``record_id, relevance`` (log-odds; higher is more likely relevant),
        ``labelled`` (bool), most relevant first.
    """
    records = store.records()
    ledger = store.screening_decisions()
    ledger = ledger[ledger["stage"] == "title_abstract"]
    labels = {}
    for rid, group in ledger.groupby("record_id"):
        adjudicated = group.loc[group["role"] == "adjudicator", "decision"]
        if len(adjudicated):
            labels[int(rid)] = int(adjudicated.iloc[0] == "include")
        else:
            labels[int(rid)] = int(group["decision"].isin(["include", "maybe"]).any())
    text = (records["title"].fillna("") + " " + records["abstract"].fillna("")).tolist()
    features = tfidf(text)
    position = {int(r): i for i, r in enumerate(records["record_id"])}
    index = [position[r] for r in labels]
    scores = relevance(features, index, list(labels.values()), model=model)
    out = pd.DataFrame({"record_id": records["record_id"], "relevance": scores,
                        "labelled": records["record_id"].isin(labels)})
    return out.sort_values("relevance", ascending=False, kind="stable").reset_index(drop=True)


# -- simulation and metrics ------------------------------------------------------------


def wss(ordered_labels: ArrayLike, recall: float = 0.95) -> float:
    """Work saved over sampling at ``recall``: ``(TN + FN) / N - (1 - recall)`` at the first
    position where the share of includes found reaches ``recall`` [2]_."""
    y = np.asarray(ordered_labels, dtype=int)
    found = np.cumsum(y)
    k = int(np.argmax(found >= recall * y.sum())) + 1
    return (len(y) - k) / len(y) - (1 - recall)


def recall_at(ordered_labels: ArrayLike, fraction: float = 0.1) -> float:
    """Share of the includes found after screening ``fraction`` of the records (RRF@10
    for 0.1)."""
    y = np.asarray(ordered_labels, dtype=int)
    return float(y[: int(np.ceil(fraction * len(y)))].sum() / y.sum())


@dataclass(frozen=True, slots=True)
class SimulationResult(ResultMixin):
    """Result of :func:`simulate`: the screening order and its metrics."""

    model: Model
    order: np.ndarray
    labels: np.ndarray
    wss95: float
    rrf10: float

    def __str__(self) -> str:
        name = {"nb": "Naive Bayes", "logistic": "logistic regression"}[self.model]
        return (f"Simulated prioritised screening ({name}) of {len(self.order):,} records "
                f"({int(self.labels.sum()):,} includes): WSS@95 {self.wss95:.1%}, "
                f"recall after 10% {self.rrf10:.1%}")

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"position": np.arange(1, len(self.order) + 1),
                             "index": self.order, "label": self.labels[self.order]})

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"model": self.model, "n": len(self.order),
                         "includes": int(self.labels.sum()), "wss95": self.wss95,
                         "rrf10": self.rrf10})


def simulate(texts: Sequence[str], labels: ArrayLike, *, seed: int = 0, step: int = 10,
             model: Model = "nb", alpha: float = NB_ALPHA,
             c: float = 1.0) -> SimulationResult:
    """Replay prioritised screening of a labelled set.

    Starts from one random include and one random exclude with some text (ASReview's
    prior knowledge [1]_; a record without title and abstract teaches the model
    nothing), then repeatedly fits the model to everything screened so far and screens
    the ``step`` most relevant unscreened records ("maximum" query; ASReview refits after
    every record, ``step=1`` does the same, more slowly). ``model``, ``alpha`` and ``c``
    are passed to :func:`relevance`.
    """
    y = np.asarray(labels, dtype=int)
    if not (0 < y.sum() < len(y)):
        raise InputError("labels: need at least one include and one exclude")
    rng = np.random.default_rng(seed)
    features = tfidf(texts)
    has_text = np.array([bool(str(t).strip()) for t in texts])
    if not (has_text & (y == 1)).any() or not (has_text & (y == 0)).any():
        raise InputError("texts: need an include and an exclude with a title or abstract")
    order = [int(rng.choice(np.flatnonzero(has_text & (y == label)))) for label in (1, 0)]
    screened = np.zeros(len(y), dtype=bool)
    screened[order] = True
    while not screened.all():
        scores = relevance(features, order, y[order], model=model, alpha=alpha, c=c)
        scores[screened] = -np.inf
        take = np.argsort(-scores, kind="stable")[: min(step, int((~screened).sum()))]
        order.extend(int(t) for t in take)
        screened[take] = True
    ordered = np.asarray(order)
    return SimulationResult(model, ordered, y, wss(y[ordered]), recall_at(y[ordered]))


def stopping_report(ordered_labels: ArrayLike, k: int) -> dict[str, float]:
    """What stopping after ``k`` consecutive irrelevant records would have given:
    ``screened`` (share of records), ``recall`` (share of includes found) and
    ``missed`` (includes left unscreened)."""
    y = np.asarray(ordered_labels, dtype=int)
    run = 0
    stop = len(y)
    for i, label in enumerate(y):
        run = 0 if label else run + 1
        if run >= k:
            stop = i + 1
            break
    found = int(y[:stop].sum())
    return {"screened": stop / len(y), "recall": found / int(y.sum()),
            "missed": int(y.sum()) - found}
