"""Cox proportional hazards regression: :func:`cox_ph` and its result, :class:`CoxResult`.

The model [1]_ is fitted by Newton-Raphson on the log partial likelihood, as R's ``coxph``
does (``survival`` 3.x, ``coxph.fit``/``coxexact.fit``): initial coefficients 0, step
halving when the log likelihood decreases, convergence when the relative change in the log
likelihood is at most ``eps`` (``coxph.control(eps = 1e-9, iter.max = 20)``).

Tied event times are handled as in R's ``ties`` argument: Efron's approximation [2]_ (the
default, as R), Breslow's [3]_ (the default of SPSS, SAS and Stata) or the exact discrete
(conditional logistic) partial likelihood (R's ``ties = "exact"``). The robust (sandwich)
variance is Lin and Wei's [4]_, computed from the score residuals as R's
``residuals(fit, type = "dfbeta")``, summed within clusters when ``cluster`` is given.

Numerics
--------
Rows are sorted once, by stratum and then by decreasing time, so the risk set of a death
time is a prefix of its stratum and every risk-set sum is a difference of two cumulative
sums, taken over per-segment sums (a segment is a run of rows between death times). With
``p`` covariates and ``n`` rows one iteration costs O(n p^2) time and O(n p) memory: the
second-moment sums over all risk sets collapse to one weighted cross-product
``X' diag(c) X``, where ``c_i`` accumulates ``1 / (risk-set total)`` over the death times
at which row ``i`` is at risk (one value per segment); Efron's tied-death corrections
enter through per-death terms only. Each iteration reads the covariates twice, a block
of rows at a time: for the linear predictor and the segment sums, then for the
cross-product. Nothing loops over subjects in Python.

References
----------
.. [1] Cox DR. Regression models and life-tables. J R Stat Soc B. 1972;34:187-220.
.. [2] Efron B. The efficiency of Cox's likelihood function for censored data.
       J Am Stat Assoc. 1977;72:557-565.
.. [3] Breslow NE. Covariance analysis of censored survival data. Biometrics.
       1974;30:89-99.
.. [4] Lin DY, Wei LJ. The robust inference for the Cox proportional hazards model.
       J Am Stat Assoc. 1989;84:1074-1078.
.. [5] Gail MH, Lubin JH, Rubinstein LV. Likelihood calculations for matched case-control
       studies and survival studies with tied death times. Biometrika. 1981;68:703-707.
.. [6] Therneau TM, Grambsch PM. Modeling Survival Data: Extending the Cox Model.
       Springer; 2000.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import linalg, stats

from oncostat._results import ResultMixin, format_p, jsonable
from oncostat._validate import as_frame, numeric_column, require_columns, row_ref
from oncostat.errors import ConvergenceError, DegenerateDataWarning, InputError

if TYPE_CHECKING:
    from oncostat.survival.cox_zph import CoxZphResult, ZphTransform

__all__ = ["ChiSquareTest", "CoxResult", "Ties", "cox_ph"]

Ties = Literal["efron", "breslow", "exact"]

# Columns are processed in blocks of this many rows, so that the temporaries of the
# risk-set sums stay in cache at 10^6 rows. The BLAS calls on them are small enough that
# OpenBLAS runs them on one thread: a multithreaded call (a dot product over more than
# 10^4 values, a matrix-vector product over 65536 rows) leaves its threads spinning for a
# tenth of a second, which on a busy machine takes the core that the fit runs on.
_CHUNK = 4096
# Segment sums are np.add.reduceat sums when segments average at least _MIN_SEGMENT rows
# (on shorter ones a reduceat call per segment costs more than a cumulative sum), and
# BLAS products, one per segment, when they average at least _DOT_SEGMENT rows.
_MIN_SEGMENT = 8
_DOT_SEGMENT = 256


@dataclass(frozen=True, slots=True)
class ChiSquareTest:
    """A chi-square test: ``statistic`` on ``df`` degrees of freedom, ``pvalue``."""

    statistic: float
    df: int
    pvalue: float

    @classmethod
    def of(cls, statistic: float, df: int) -> ChiSquareTest:
        return cls(float(statistic), int(df), float(stats.chi2.sf(statistic, df)))

    def __str__(self) -> str:
        return f"{self.statistic:.2f} on {self.df} df, {format_p(self.pvalue)}"

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"statistic": self.statistic, "df": self.df, "p": self.pvalue})


# ----------------------------------------------------------------------------------------
# Design: validated, complete-case, sorted data
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Design:
    """Complete cases sorted by stratum, then by decreasing time (rows of ``xt`` are covariates).

    ``xt`` holds the model-matrix columns centred at their means (p x n, C order, so each
    covariate is contiguous).
    """

    xt: np.ndarray
    time: np.ndarray
    status: np.ndarray
    stratum: np.ndarray
    cluster: np.ndarray | None
    columns: tuple[str, ...]
    terms: dict[str, tuple[int, ...]]
    sumsq: np.ndarray           # sum of squares of each row of ``xt``
    death_sum: np.ndarray       # sum of the columns of ``xt`` with ``status`` 1


class _Layout:
    """Index arrays describing risk sets and deaths of a sorted :class:`_Design`.

    A *block* is a run of rows with equal stratum and time. Death blocks are handled by
    the vectorised code ("v-blocks"), except under ``ties="exact"``, where blocks with two
    or more deaths are handled by the recursion of Gail et al. ("x-blocks").

    The rows are cut into *segments* at every stratum start, at the end of every v-block
    (so that every risk set is a run of whole segments), around Efron's tied deaths and at
    the boundaries of the blocks of ``_CHUNK`` rows. Risk-set sums are then cumulative sums
    of per-segment sums, and the weight ``c_i`` of the information matrix is constant
    within a segment.
    """

    def __init__(self, design: _Design, ties: Ties) -> None:
        time, status, stratum = design.time, design.status, design.stratum
        n = time.size
        new_stratum = np.empty(n, dtype=bool)
        new_stratum[:1] = True
        np.not_equal(stratum[1:], stratum[:-1], out=new_stratum[1:])
        new_block = np.empty(n, dtype=bool)
        new_block[:1] = True
        np.not_equal(time[1:], time[:-1], out=new_block[1:])
        new_block |= new_stratum
        block_start = np.flatnonzero(new_block)
        stratum_starts = np.flatnonzero(new_stratum)
        dead = status == 1
        # Deaths sort first in their block: a block has deaths if its first row is one, and
        # its last death is followed by a censored row, by the next block or by nothing.
        has_death = dead[block_start]
        last = np.empty(n, dtype=bool)
        np.greater_equal(new_block[1:], dead[1:], out=last[:-1])
        last[:-1] &= dead[:-1]
        last[-1:] = dead[-1:]
        death_start = block_start[has_death]
        deaths = np.flatnonzero(last) - death_start + 1
        death_end = np.r_[block_start[1:], n][has_death]
        death_sstart = stratum_starts[np.searchsorted(stratum_starts, death_start, "right") - 1]

        vsel = deaths == 1 if ties == "exact" else slice(None)
        v_start, v_end, v_d = death_start[vsel], death_end[vsel], deaths[vsel]
        v_sstart = death_sstart[vsel]
        self.n = n
        self.ties = ties
        self.nv = v_d.size
        self.v_d = v_d.astype(float)
        # Efron needs E0, E1, the sums over the tied deaths, which come first in their
        # block (the design sorts deaths before censorings at equal times).
        self.tied_v = np.flatnonzero(v_d > 1) if ties == "efron" else np.zeros(0, int)
        t_lo = v_start[self.tied_v]
        t_hi = t_lo + v_d[self.tied_v]
        self.chunks = [(a, min(a + _CHUNK, n)) for a in range(0, n, _CHUNK)]

        cut = np.zeros(n + 1, dtype=bool)
        for at in (stratum_starts, v_end, t_lo, t_hi, [a for a, _ in self.chunks], [n]):
            cut[at] = True
        self.cuts = np.flatnonzero(cut)
        cut_index = np.cumsum(cut) - 1
        self.pos_end = cut_index[v_end]
        self.pos_start = cut_index[v_sstart]
        self.pos_tied_lo = cut_index[t_lo]
        self.pos_tied_hi = cut_index[t_hi]
        seg_start = self.cuts[:-1]
        self.seg_len = np.diff(self.cuts)
        n_segments = self.cuts.size - 1
        self.segment_sums = ("dot" if n_segments * _DOT_SEGMENT <= n else
                             "reduceat" if n_segments * _MIN_SEGMENT <= n else "cumsum")
        lo = np.searchsorted(self.cuts, [a for a, _ in self.chunks])
        hi = np.r_[lo[1:], self.cuts.size - 1]
        self.chunk_seg = list(zip(lo.tolist(), hi.tolist(), strict=True))

        # c is a sum of per-death-time terms over the v-blocks from a row's own block to
        # the end of its stratum (rows are in decreasing time): those ending after the
        # row's segment starts, up to the end of the stratum.
        v_cut = np.zeros(n + 1, dtype=bool)
        v_cut[v_end] = True
        v_before = np.cumsum(v_cut[self.cuts])
        self.seg_lo = v_before[:-1]
        seg_stratum = np.searchsorted(stratum_starts, seg_start, "right") - 1
        stratum_end = np.r_[stratum_starts[1:], n]
        self.seg_hi = v_before[cut_index[stratum_end]][seg_stratum]
        # Segments of Efron's tied deaths, which count 1 - f of their own death time: those
        # starting in [t_lo, t_hi) of the last tied block starting at or before them.
        j = np.searchsorted(t_lo, seg_start, "right") - 1
        own = j >= 0
        if t_hi.size:
            own &= seg_start < t_hi[np.maximum(j, 0)]
        self.seg_tied = np.flatnonzero(own)
        self.seg_tied_v = self.tied_v[j[own]]

        if ties == "exact":
            self.death_rows = v_start
            self.death_v = np.arange(self.nv)
        else:
            self.death_rows = np.flatnonzero(dead)
            self.death_v = np.repeat(np.arange(self.nv), v_d)
        # Exact-likelihood blocks: (risk-set start, block end, death rows).
        xsel = deaths > 1 if ties == "exact" else np.zeros(deaths.size, dtype=bool)
        self.xblocks = [(int(s), int(e), np.arange(a, a + d)) for s, e, a, d in
                        zip(death_sstart[xsel], death_end[xsel], death_start[xsel],
                            deaths[xsel], strict=True)]
        # The sum of the covariates over the deaths, which does not depend on beta.
        self.death_x = (design.xt[:, self.death_rows].sum(axis=1) if ties == "exact"
                        else design.death_sum)
        # One "term" of the log likelihood per death (Efron: the l-th of d tied deaths
        # removes l/d of the dying from the risk set) or per death time (Breslow).
        if ties == "efron":
            self.term_starts = np.r_[0, np.cumsum(v_d)[:-1]]
            self.term_v = self.death_v
            self.term_f = ((np.arange(self.death_v.size) - np.repeat(self.term_starts, v_d))
                           / np.repeat(self.v_d, v_d))
            self.term_wt = np.ones(self.death_v.size)
        else:
            self.term_starts = np.arange(self.nv)
            self.term_v = np.arange(self.nv)
            self.term_f = np.zeros(self.nv)
            self.term_wt = self.v_d
        self._block_start = block_start
        self._stratum_starts = stratum_starts

    def segment_rows(self, values: np.ndarray) -> np.ndarray:
        """Per-segment ``values`` (last axis) repeated over the rows of each segment."""
        return np.repeat(values, self.seg_len, axis=-1)

    def row_blocks(self) -> tuple[np.ndarray, np.ndarray]:
        """End of each row's block and each row's stratum (0, 1, ...), row by row."""
        block_end = np.r_[self._block_start[1:], self.n]
        sizes = np.diff(np.r_[self._block_start, self.n])
        stratum_sizes = np.diff(np.r_[self._stratum_starts, self.n])
        return (np.repeat(block_end, sizes),
                np.repeat(np.arange(self._stratum_starts.size), stratum_sizes))


@dataclass(slots=True)
class _Sums:
    """``den`` per likelihood term; S1 per death time and E1 per tied death time (p x .)."""

    den: np.ndarray
    s1: np.ndarray
    e1: np.ndarray


@dataclass(slots=True)
class _Moments:
    """Per-death-time sums over its terms; see :meth:`_Model.moments`."""

    w: np.ndarray
    v: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    gamma: np.ndarray


@dataclass(slots=True)
class _Eval:
    """Log partial likelihood and its first and second derivatives at one ``beta``."""

    loglik: float
    score: np.ndarray
    info: np.ndarray


class _Model:
    """The partial likelihood of one design under one ``ties`` method."""

    def __init__(self, design: _Design, layout: _Layout) -> None:
        self.d = design
        self.lay = layout

    def risk(self, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Linear predictor minus its maximum (so ``exp`` cannot overflow), and its ``exp``."""
        eta = beta @ self.d.xt if beta.any() else np.zeros(self.lay.n)
        eta -= eta.max()
        return eta, np.exp(eta)

    def sums(self, r: np.ndarray) -> _Sums:
        """Risk-set sums S0, S1 per death time, tied-death sums E0, E1, per-term denominators."""
        return self._risk_set_sums(*self._segment_sums(None, r)[:2])

    def _risk_set_sums(self, seg0: np.ndarray, seg1: np.ndarray) -> _Sums:
        """:meth:`sums` from the sums of ``r`` and ``r x`` over each segment."""
        lay = self.lay
        # Sums over the rows before each cut; a risk set is a difference of two.
        cs0 = np.zeros(seg0.size + 1)
        np.cumsum(seg0, out=cs0[1:])
        cs1 = np.zeros((seg1.shape[0], seg1.shape[1] + 1))
        np.cumsum(seg1, axis=1, out=cs1[:, 1:])
        s0 = cs0[lay.pos_end] - cs0[lay.pos_start]
        s1 = cs1[:, lay.pos_end] - cs1[:, lay.pos_start]
        den = s0[lay.term_v]
        e1 = cs1[:, lay.pos_tied_hi] - cs1[:, lay.pos_tied_lo]
        if lay.tied_v.size:
            e0 = np.zeros(lay.nv)
            e0[lay.tied_v] = cs0[lay.pos_tied_hi] - cs0[lay.pos_tied_lo]
            den = den - lay.term_f * e0[lay.term_v]
        return _Sums(den, s1, e1)

    def _segment_sums(self, beta: np.ndarray | None, r: np.ndarray | None = None
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
        """Sums of ``r`` and ``r x`` over each segment, a block of rows at a time; then
        ``r``, the linear predictor less its maximum, and that maximum.

        Given ``beta`` rather than ``r``, the linear predictor and ``r`` are computed in
        the same pass, while the block is in cache: ``r`` as ``exp`` of the linear
        predictor less the block's maximum, rescaled to the overall maximum at the end
        (the segments of a block end with it). Segment sums are BLAS products when
        segments are long, ``np.add.reduceat`` sums when they are shorter, differences of
        cumulative sums when they are short (see ``_MIN_SEGMENT``).
        """
        lay, xt = self.lay, self.d.xt
        p, n = xt.shape
        cuts = lay.cuts
        seg0 = np.empty(cuts.size - 1)
        # Segments in rows for the products, so that each writes a contiguous row.
        by_dot = lay.segment_sums == "dot"
        seg1 = np.empty((cuts.size - 1, p)).T if by_dot else np.empty((p, cuts.size - 1))
        bounds = cuts.tolist()
        buf = np.empty((p, _CHUNK))
        fused = r is None
        eta = np.empty(n) if fused else np.zeros(0)
        r = np.empty(n) if r is None else r
        tops = np.zeros(len(lay.chunks))
        for i, ((a, b), (lo, hi)) in enumerate(zip(lay.chunks, lay.chunk_seg, strict=True)):
            x, rc = xt[:, a:b], r[a:b]
            if fused:
                e = np.matmul(beta, x, out=eta[a:b])
                tops[i] = e.max()
                np.exp(np.subtract(e, tops[i], out=rc), out=rc)
            if lay.segment_sums == "cumsum":
                ends = cuts[lo + 1:hi + 1] - a - 1
                seg0[lo:hi] = np.diff(np.cumsum(rc)[ends], prepend=0.0)
                block = np.multiply(x, rc, out=buf[:, :b - a])
                np.cumsum(block, axis=1, out=block)
                seg1[:, lo:hi] = np.diff(block[:, ends], axis=1, prepend=0.0)
                continue
            np.add.reduceat(rc, cuts[lo:hi] - a, out=seg0[lo:hi])
            if by_dot:
                for k in range(lo, hi):
                    np.matmul(xt[:, bounds[k]:bounds[k + 1]], r[bounds[k]:bounds[k + 1]],
                              out=seg1[:, k])
            else:
                block = np.multiply(x, rc, out=buf[:, :b - a])
                np.add.reduceat(block, cuts[lo:hi] - a, axis=1, out=seg1[:, lo:hi])
        top = float(tops.max())
        if fused:
            scale = np.exp(tops - top)
            if (scale < 1).any():
                per_segment = np.repeat(scale, [hi - lo for lo, hi in lay.chunk_seg])
                seg0 *= per_segment
                seg1 *= per_segment
                r *= np.repeat(scale, [b - a for a, b in lay.chunks])
            eta -= top
        return seg0, seg1, r, eta, top

    def moments(self, sums: _Sums, g: np.ndarray | None = None) -> _Moments:
        """Per-death-time sums over its terms ``l`` of ``wt g / den_l`` and friends.

        With ``u_l = 1 / den_l`` and Efron's fractions ``f_l``, the weighted mean of term
        ``l`` is ``a_l = u_l S1 - f_l u_l E1``, so every sum of ``a_l`` or ``a_l a_l'`` over
        the terms of a death time is a combination of S1 and E1 with the scalar sums
        ``w = sum u``, ``v = sum f u``, ``alpha = sum u^2``, ``beta = sum f u^2`` and
        ``gamma = sum f^2 u^2``: no array of size p x deaths is formed.
        """
        lay = self.lay
        f = lay.term_f
        wt = lay.term_wt if g is None else lay.term_wt * g[lay.term_v]
        u = wt / sums.den
        uu = u / sums.den

        def per_time(x: np.ndarray) -> np.ndarray:
            return np.add.reduceat(x, lay.term_starts) if x.size > lay.nv else x

        if not lay.tied_v.size:
            zero = np.zeros(lay.nv)
            return _Moments(per_time(u), zero, per_time(uu), zero, zero)
        return _Moments(per_time(u), per_time(f * u), per_time(uu), per_time(f * uu),
                        per_time(f * f * uu))

    def row_weights(self, mom: _Moments) -> np.ndarray:
        """``c_i``: the sum of ``w`` over death times at which row ``i`` is at risk (Efron:
        less ``v`` at its own death), so that the second-moment sums are ``X' diag(r c) X``."""
        return self.lay.segment_rows(self._segment_weights(mom))

    def _segment_weights(self, mom: _Moments) -> np.ndarray:
        """:meth:`row_weights`, one value per segment."""
        lay = self.lay
        cw = np.r_[0.0, np.cumsum(mom.w)]
        c = cw[lay.seg_hi] - cw[lay.seg_lo]
        c[lay.seg_tied] -= mom.v[lay.seg_tied_v]
        return c

    def _crossprod(self, r: np.ndarray, c: np.ndarray) -> np.ndarray:
        """``X' diag(r c) X`` for ``c`` per segment (:meth:`_segment_weights`), a block of
        rows at a time, the weights of a block formed with it."""
        lay, xt = self.lay, self.d.xt
        out = np.zeros((xt.shape[0], xt.shape[0]))
        buf = np.empty((xt.shape[0], _CHUNK))
        for (a, b), (lo, hi) in zip(lay.chunks, lay.chunk_seg, strict=True):
            w = np.repeat(c[lo:hi], lay.seg_len[lo:hi])
            w *= r[a:b]
            out += np.multiply(xt[:, a:b], w, out=buf[:, :b - a]) @ xt[:, a:b].T
        return out

    def mean_crossprod(self, sums: _Sums, mom: _Moments) -> np.ndarray:
        """Sum over terms of ``wt a_l a_l'`` (the subtracted part of the information)."""
        s1, e1, t = sums.s1, sums.e1, self.lay.tied_v
        out = (s1 * mom.alpha) @ s1.T
        if t.size:
            cross = (s1[:, t] * mom.beta[t]) @ e1.T
            out += (e1 * mom.gamma[t]) @ e1.T - cross - cross.T
        return out

    def mean_sum(self, sums: _Sums, mom: _Moments) -> np.ndarray:
        """Sum over terms of ``wt a_l`` per death time (p x death times)."""
        out = sums.s1 * mom.w
        if self.lay.tied_v.size:
            out[:, self.lay.tied_v] -= sums.e1 * mom.v[self.lay.tied_v]
        return out

    def evaluate(self, beta: np.ndarray) -> _Eval:
        """Log partial likelihood, score and information at ``beta``.

        The score, the sum over deaths of ``x`` less the weighted means of their risk sets,
        and the log likelihood take the sums over the deaths from the layout: only
        the risk-set sums and the cross-product pass over the rows.
        """
        lay = self.lay
        seg0, seg1, r, eta, top = self._segment_sums(beta)
        sums = self._risk_set_sums(seg0, seg1)
        loglik = float(beta @ lay.death_x - top * lay.death_rows.size
                       - np.sum(lay.term_wt * np.log(sums.den)))
        mom = self.moments(sums)
        score = lay.death_x - self.mean_sum(sums, mom).sum(axis=1)
        info = self._crossprod(r, self._segment_weights(mom)) - self.mean_crossprod(sums, mom)
        for blk in lay.xblocks:
            ll_k, u_k, i_k = self._exact_block(blk, eta, r)
            loglik += ll_k
            score += u_k
            info += i_k
        return _Eval(loglik, score, info)

    def _exact_block(self, blk: tuple[int, int, np.ndarray], eta: np.ndarray, r: np.ndarray
                     ) -> tuple[float, np.ndarray, np.ndarray]:
        """Exact partial likelihood of ``d`` tied deaths: recursion of Gail et al. [5]_.

        The denominator is the elementary symmetric polynomial ``e_d`` of the risk scores
        of the risk set, built over prefixes ``e_k(m) = e_k(m-1) + r_m e_{k-1}(m-1)`` as a
        cumulative sum per ``k``, with its first and second derivatives; cost
        O(d n_k p^2) time and O(n_k p^2) memory for a risk set of ``n_k`` rows. Each level
        is rescaled to sum 1 (the log scale is carried), so nothing overflows.
        """
        start, end, dead = blk
        x = self.d.xt[:, start:end].T
        rr = r[start:end]
        nk, p = x.shape
        e = np.ones(nk + 1)
        f = np.zeros((nk + 1, p))
        g = np.zeros((nk + 1, p, p))
        xx = x[:, :, None] * x[:, None, :]
        log_scale = 0.0
        for _ in range(dead.size):
            ep, fp, gp = e[:-1], f[:-1], g[:-1]
            te = rr * ep
            tf = rr[:, None] * (fp + x * ep[:, None])
            tg = rr[:, None, None] * (gp + x[:, :, None] * fp[:, None, :]
                                      + fp[:, :, None] * x[:, None, :] + xx * ep[:, None, None])
            scale = te.sum()
            e = np.r_[0.0, np.cumsum(te) / scale]
            f = np.concatenate([np.zeros((1, p)), np.cumsum(tf, axis=0) / scale])
            g = np.concatenate([np.zeros((1, p, p)), np.cumsum(tg, axis=0) / scale])
            log_scale += math.log(scale)
        xd = self.d.xt[:, dead]
        loglik = float(eta[dead].sum() - log_scale)
        return loglik, xd.sum(axis=1) - f[-1], g[-1] - np.outer(f[-1], f[-1])

    def score_residuals(self, beta: np.ndarray) -> np.ndarray:
        """Score residuals (n x p, sorted order), as R's ``residuals(fit, type = "score")``.

        Efron: a death is compared with the mean of its ``d`` weighted means, and while it
        is one of the ``d`` tied deaths it counts with weight ``1 - f_l`` (R's coxscore2).
        """
        lay, xt = self.lay, self.d.xt
        r = self.risk(beta)[1]
        sums = self.sums(r)
        mom = self.moments(sums)
        c = self.row_weights(mom)
        abar = self.mean_sum(sums, mom) / lay.v_d
        q_all = sums.s1 * mom.alpha     # sum over terms of wt a_l / den_l
        q_own = sums.s1 * mom.beta      # ... times f_l
        if lay.tied_v.size:
            t = lay.tied_v
            q_all[:, t] -= sums.e1 * mom.beta[t]
            q_own[:, t] -= sums.e1 * mom.gamma[t]
        cq = np.concatenate([np.zeros((xt.shape[0], 1)), np.cumsum(q_all, axis=1)], axis=1)
        qrow = lay.segment_rows(cq[:, lay.seg_hi] - cq[:, lay.seg_lo])
        qrow[:, lay.death_rows] -= q_own[:, lay.death_v]
        resid = r * (qrow - xt * c)
        resid[:, lay.death_rows] += xt[:, lay.death_rows] - abar[:, lay.death_v]
        return resid.T


def _weighted_crossprod(xt: np.ndarray, w: np.ndarray, chunks: list[tuple[int, int]]
                        ) -> np.ndarray:
    """``X' diag(w) X``, a block of rows at a time so the temporaries stay in cache."""
    out = np.zeros((xt.shape[0], xt.shape[0]))
    buf = np.empty((xt.shape[0], _CHUNK))
    for a, b in chunks:
        out += np.multiply(xt[:, a:b], w[a:b], out=buf[:, :b - a]) @ xt[:, a:b].T
    return out


# ----------------------------------------------------------------------------------------
# Newton-Raphson, as R's coxfit6
# ----------------------------------------------------------------------------------------
@dataclass(slots=True)
class _Fit:
    beta: np.ndarray
    var: np.ndarray
    loglik_null: float
    loglik: float
    score_test: float
    score: np.ndarray
    iterations: int
    converged: bool


def _solve(info: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    try:
        return linalg.cho_solve(linalg.cho_factor(info), rhs)
    except (linalg.LinAlgError, ValueError):
        return np.linalg.lstsq(info, rhs, rcond=None)[0]


def _newton(model: _Model, ev: _Eval, eps: float, max_iter: int) -> _Fit:
    """R's coxfit6 loop, from ``ev``, the evaluation at ``beta = 0``."""
    p = ev.score.size
    beta = np.zeros(p)
    loglik_null = loglik = ev.loglik
    step = _solve(ev.info, ev.score)
    score_test = float(ev.score @ step)
    new = beta + step
    halving = False
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        ev = model.evaluate(new)
        if not halving and abs(ev.loglik - loglik) <= eps * abs(ev.loglik):
            converged = True
            break
        if it == max_iter:
            break
        if not math.isfinite(ev.loglik) or ev.loglik < loglik:
            halving = True
            new = (new + beta) / 2
        else:
            halving = False
            loglik = ev.loglik
            beta = new
            new = new + _solve(ev.info, ev.score)
    if max_iter == 0:
        new = beta
    var = _solve(ev.info, np.eye(p))
    return _Fit(new, (var + var.T) / 2, loglik_null, ev.loglik, score_test, ev.score,
                it, converged)


# ----------------------------------------------------------------------------------------
# Result
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CoxResult(ResultMixin):
    """Result of :func:`cox_ph`; see its docstring.

    ``coef``, ``se`` (model-based), ``robust_se`` (NaN unless robust) and ``var`` (the
    variance used for inference: robust when asked for, as R's ``fit$var``) are indexed by
    ``columns``, the names of the model-matrix columns (``arm[PC]`` for a level of a
    categorical covariate). ``terms`` maps each covariate to its columns.
    """

    ties: Ties
    columns: tuple[str, ...]
    coef: np.ndarray = field(repr=False)
    se: np.ndarray = field(repr=False)
    robust_se: np.ndarray = field(repr=False)
    var: np.ndarray = field(repr=False)
    naive_var: np.ndarray = field(repr=False)
    confidence_level: float
    n: int
    n_events: int
    n_omitted: int
    loglik_null: float
    loglik: float
    lr_test: ChiSquareTest
    wald_test: ChiSquareTest
    score_test: ChiSquareTest
    robust_score_test: ChiSquareTest | None
    robust: bool
    strata: tuple[str, ...]
    cluster: str | None
    iterations: int
    monotone: tuple[str, ...]
    terms: dict[str, tuple[int, ...]] = field(repr=False)
    notes: tuple[str, ...] = ()
    _model: _Model | None = field(default=None, repr=False, compare=False)

    @property
    def z(self) -> np.ndarray:
        return self.coef / self._se_used

    @property
    def pvalue(self) -> np.ndarray:
        return 2 * stats.norm.sf(np.abs(self.z))

    @property
    def hr(self) -> np.ndarray:
        return np.exp(self.coef)

    @property
    def _se_used(self) -> np.ndarray:
        return self.robust_se if self.robust else self.se

    def hr_ci(self) -> tuple[np.ndarray, np.ndarray]:
        """Wald interval for the hazard ratios, ``exp(coef -/+ z se)`` (robust SE if robust)."""
        q = stats.norm.ppf(0.5 + self.confidence_level / 2)
        return (np.exp(self.coef - q * self._se_used), np.exp(self.coef + q * self._se_used))

    def to_frame(self) -> pd.DataFrame:
        """One row per model-matrix column: term, coef, se, [robust_se], hr, CI, z, p."""
        low, high = self.hr_ci()
        out = pd.DataFrame({"term": list(self.columns), "coef": self.coef, "se": self.se})
        if self.robust:
            out["robust_se"] = self.robust_se
        out["hr"] = self.hr
        out["hr_ci_low"] = low
        out["hr_ci_high"] = high
        out["z"] = self.z
        out["p"] = self.pvalue
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict; what ``oncostat survival cox --json`` prints under ``cox``."""
        out: dict[str, Any] = {
            "ties": self.ties, "n": self.n, "n_events": self.n_events,
            "n_omitted": self.n_omitted, "confidence_level": self.confidence_level,
            "strata": list(self.strata), "cluster": self.cluster, "robust": self.robust,
            "terms": self.to_frame(),
            "loglik_null": self.loglik_null, "loglik": self.loglik,
            "lr_test": self.lr_test.to_dict(), "wald_test": self.wald_test.to_dict(),
            "score_test": self.score_test.to_dict(),
            "robust_score_test": (self.robust_score_test.to_dict()
                                  if self.robust_score_test else None),
            "iterations": self.iterations, "monotone": list(self.monotone),
            "notes": list(self.notes),
        }
        return jsonable(out)

    def __str__(self) -> str:
        ties = {"efron": "Efron", "breslow": "Breslow", "exact": "exact"}[self.ties]
        head = (f"Cox proportional hazards model, {ties} ties "
                f"(n = {self.n}, events = {self.n_events}")
        if self.n_omitted:
            head += f"; {self.n_omitted} omitted for missing values"
        lines = [head + ")"]
        if self.strata:
            lines.append(f"  Stratified by {', '.join(self.strata)}")
        if self.robust:
            by = f"clustered by {self.cluster}" if self.cluster else "per row"
            lines.append(f"  Robust (sandwich) standard errors, {by}")
        tab = self.to_frame()
        names = ["", *self.columns]
        coef = {"coef": tab["coef"], "exp(coef)": tab["hr"], "se(coef)": tab["se"]}
        if self.robust:
            coef["robust se"] = tab["robust_se"]
        lines += ["", *_table(names, coef | {"z": tab["z"]},
                              {"Pr(>|z|)": [_pcell(p) for p in tab["p"]]})]
        pct = f"{100 * self.confidence_level:g}%"
        lines += ["", *_table(names, {"exp(coef)": tab["hr"], "exp(-coef)": 1 / tab["hr"],
                                      f"lower {pct}": tab["hr_ci_low"],
                                      f"upper {pct}": tab["hr_ci_high"]}, {})]
        lines += ["", f"Likelihood ratio test = {self.lr_test}",
                  f"Wald test             = {self.wald_test}",
                  f"Score (logrank) test  = {self.score_test}"]
        if self.robust_score_test is not None:
            lines.append(f"Robust score test     = {self.robust_score_test}")
        lines.extend(f"Note: {n}" for n in self.notes)
        return "\n".join(lines)

    def zph(self, transform: ZphTransform = "km") -> CoxZphResult:
        """Test of proportional hazards; see :func:`oncostat.survival.cox_zph.cox_zph`."""
        from oncostat.survival.cox_zph import cox_zph

        return cox_zph(self, transform=transform)


def _pcell(p: float) -> str:
    return "<2e-16" if p < 2e-16 else f"{p:.3g}"


def _table(rows: Sequence[str], numeric: dict[str, Any], text: dict[str, list[str]]
           ) -> list[str]:
    cols = {k: [f"{v:.4g}" for v in vals] for k, vals in numeric.items()} | text
    width0 = max(len(r) for r in rows)
    widths = {k: max(len(k), *(len(c) for c in v)) for k, v in cols.items()}
    out = [" " * width0 + "".join(f"  {k:>{widths[k]}}" for k in cols)]
    for i, name in enumerate(rows[1:]):
        out.append(f"{name:<{width0}}" + "".join(f"  {cols[k][i]:>{widths[k]}}" for k in cols))
    return out


# ----------------------------------------------------------------------------------------
# Public function
# ----------------------------------------------------------------------------------------
def cox_ph(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    covariates: Sequence[str],
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    robust: bool = False,
    ties: Ties = "efron",
    reference: dict[str, str] | None = None,
    confidence_level: float = 0.95,
    eps: float = 1e-9,
    max_iter: int = 20,
) -> CoxResult:
    """Cox proportional hazards regression [1]_, as R's ``coxph``.

    Parameters
    ----------
    data : DataFrame
        One row per patient (or per observation, with ``cluster``). Not modified.
    time : str
        Follow-up time, a number >= 0 (R allows 0, and so does this).
    event : str
        1 (or True) for an event, 0 (or False) for censoring. R's ``Surv`` also accepts a
        1/2 coding (as in its ``lung`` data); here such a column is an error, to avoid
        silently reading every patient as an event.
    covariates : sequence of str
        Covariate columns. Numeric and boolean columns enter as they are; text and
        categorical columns (and any column named in ``reference``) are expanded into one
        indicator per level other than the reference, named ``column[level]``
        (``arm[PC]``), as R's treatment contrasts (R names it ``armPC``).
    strata : str or sequence of str, optional
        Stratify the baseline hazard by these columns (R's ``strata()`` term).
    cluster : str, optional
        Cluster (matched-set, patient) identifier: the robust variance sums score residuals
        within clusters (R's ``cluster()`` term or ``cluster =`` argument). Implies
        ``robust=True``, as in R.
    robust : bool, default False
        Lin-Wei robust (sandwich) variance [4]_ (R's ``robust = TRUE``). It then replaces
        the model-based one in z, p, confidence intervals and the Wald test, and a robust
        score test is added, as R's ``summary(coxph)`` does; the likelihood-ratio and score
        tests stay model-based.
    ties : {"efron", "breslow", "exact"}, default "efron"
        Handling of tied event times, R's ``ties``: Efron's approximation [2]_ (R's
        default), Breslow's [3]_ (the default of SPSS, SAS and Stata) or the exact discrete
        partial likelihood (conditional logistic, [5]_). "exact" costs O(d n_k p^2) for
        each time with ``d`` > 1 tied deaths among ``n_k`` at risk, plus a Python loop over
        such times: fine for thousands of rows, slow with many large ties at 10^6.
        Robust variances are not available with "exact" (R has no score residuals for it).
    reference : dict of str to str, optional
        Reference level per categorical covariate (R's ``relevel``); by default the first
        level: the first category of a pandas ``Categorical``, otherwise the first in
        sorted (code-point) order, which is R's ``factor()`` order in the C locale.
    confidence_level : float, default 0.95
        Level of the Wald intervals for the hazard ratios (R's ``conf.int``).
    eps, max_iter
        Convergence tolerance on the relative change in the log partial likelihood and
        maximum number of Newton-Raphson iterations (R's ``coxph.control(eps, iter.max)``).

    Returns
    -------
    CoxResult
        ``str()`` reads like R's ``summary(coxph)``; ``to_frame()`` has one row per term;
        ``zph()`` tests proportional hazards (R's ``cox.zph``).

    Raises
    ------
    InputError
        Bad times or events, no events, a covariate that is constant (within strata) or a
        linear combination of others, a categorical covariate with a single level.
    ConvergenceError
        Newton-Raphson did not converge in ``max_iter`` iterations (and the likelihood is
        not monotone).

    Warns
    -----
    DegenerateDataWarning
        Rows with missing values were omitted (R's ``na.omit``), or the likelihood is
        monotone in a covariate: its coefficient is infinite (R warns "Loglik converged
        before variable ..."); the warning names the covariate and the direction. The
        finite estimate reported, as R's, and its Wald test are meaningless; the
        likelihood-ratio test is still valid.

    Notes
    -----
    The Wald test is ``b' V^-1 b``, the score test ``U(0)' I(0)^-1 U(0)`` and the
    likelihood-ratio test ``2 (l(b) - l(0))``, each on ``p`` degrees of freedom.

    Examples
    --------
    R's ``coxph(Surv(time, status) ~ age + sex, data = lung)`` (with ``status - 1`` as the
    event) gives age 0.017045 (HR 1.0172) and sex -0.513219 (HR 0.5986, 95% CI 0.4311 to
    0.8311); likelihood ratio test 14.12 on 2 df.
    """
    if ties not in ("efron", "breslow", "exact"):
        raise InputError(f"ties: expected one of efron, breslow, exact, got {ties!r}")
    if not 0 < confidence_level < 1:
        raise InputError(f"confidence_level: expected a number between 0 and 1, "
                         f"got {confidence_level}")
    if not eps > 0 or max_iter < 0:
        raise InputError(f"eps must be > 0 and max_iter >= 0; got eps={eps}, "
                         f"max_iter={max_iter}")
    if cluster is not None:
        robust = True
    if robust and ties == "exact":
        raise InputError("robust standard errors are not available with ties='exact' "
                         "(as in R: no score residuals for the exact likelihood); "
                         "use ties='efron' or 'breslow'")
    strata_cols = (strata,) if isinstance(strata, str) else tuple(strata or ())
    design, n_omitted, notes = _build_design(data, time, event, covariates, strata_cols,
                                             cluster, reference or {})
    p = design.xt.shape[0]
    layout = _Layout(design, ties)
    model = _Model(design, layout)
    first = model.evaluate(np.zeros(p))
    _check_estimable(first.info, design)

    fit = _newton(model, first, eps, max_iter)
    monotone = _monotone(model, fit, eps)
    if not fit.converged and max_iter > 0 and not monotone:
        raise ConvergenceError(
            f"the Cox model did not converge in {max_iter} Newton-Raphson iterations "
            f"(ties={ties!r}); try a larger max_iter, rescale covariates measured in large "
            "units, or remove covariates that are nearly collinear")
    naive_se = _sqrt_diag(fit.var)
    var = fit.var
    robust_se = np.full(p, np.nan)
    robust_score = None
    if robust:
        var, robust_score = _robust(model, design, fit)
        robust_se = _sqrt_diag(var)
    wald = float(fit.beta @ _solve(var, fit.beta))
    result = CoxResult(
        ties=ties, columns=design.columns, coef=fit.beta, se=naive_se, robust_se=robust_se,
        var=var, naive_var=fit.var, confidence_level=confidence_level,
        n=design.time.size, n_events=int(design.status.sum()), n_omitted=n_omitted,
        loglik_null=fit.loglik_null, loglik=fit.loglik,
        lr_test=ChiSquareTest.of(2 * (fit.loglik - fit.loglik_null), p),
        wald_test=ChiSquareTest.of(wald, p), score_test=ChiSquareTest.of(fit.score_test, p),
        robust_score_test=ChiSquareTest.of(robust_score, p) if robust_score is not None
        else None,
        robust=robust, strata=strata_cols, cluster=cluster, iterations=fit.iterations,
        monotone=tuple(design.columns[j] for j in monotone), terms=design.terms,
        notes=tuple(notes), _model=model)
    return result


def _sqrt_diag(var: np.ndarray) -> np.ndarray:
    """Standard errors; NaN where a (numerically singular, monotone) variance is negative."""
    d = np.diag(var)
    return np.sqrt(np.where(d >= 0, d, np.nan))


def _robust(model: _Model, design: _Design, fit: _Fit) -> tuple[np.ndarray, float]:
    """Lin-Wei sandwich variance and robust score test, as R's ``coxph(robust = TRUE)``."""
    def collapse(res: np.ndarray) -> np.ndarray:
        if design.cluster is None:
            return res
        k = int(design.cluster.max()) + 1
        return np.stack([np.bincount(design.cluster, weights=col, minlength=k)
                         for col in res.T], axis=1)

    dfbeta = collapse(model.score_residuals(fit.beta)) @ fit.var
    var = dfbeta.T @ dfbeta
    res0 = collapse(model.score_residuals(np.zeros_like(fit.beta)))
    u0 = res0.sum(axis=0)
    return var, float(u0 @ _solve(res0.T @ res0, u0))


# ----------------------------------------------------------------------------------------
# Input handling
# ----------------------------------------------------------------------------------------
def _is_categorical(s: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s))


def _build_design(data: pd.DataFrame, time: str, event: str, covariates: Sequence[str],
                  strata: tuple[str, ...], cluster: str | None, reference: dict[str, str]
                  ) -> tuple[_Design, int, list[str]]:
    # A DataFrame is only read (by position), never modified, so it is not copied.
    frame = data if isinstance(data, pd.DataFrame) else as_frame(data)
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    if not covariates:
        raise InputError("covariates: expected at least one covariate column")
    if len(set(covariates)) < len(covariates):
        raise InputError(f"covariates: a column is listed twice in {covariates}")
    extra = [c for c in reference if c not in covariates]
    if extra:
        raise InputError(f"reference: {extra[0]!r} is not one of the covariates {covariates}")
    used = [time, event, *covariates, *strata, *([cluster] if cluster else [])]
    require_columns(frame, used)

    categorical = {c for c in covariates if c in reference or _is_categorical(frame[c])}
    t = _numeric(frame, time, minimum=0)
    ev = _numeric(frame, event)
    bad = ~np.isnan(ev) & (ev != 0) & (ev != 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        hint = ("; if events are coded 1/2 (censored/dead) as in R's lung data, subtract 1"
                if set(np.unique(ev[~np.isnan(ev)])) <= {1.0, 2.0} else "")
        raise InputError(f"column {event!r}, {row_ref(i)}: expected 0 (censored) or "
                         f"1 (event), got {ev[i]:g}{hint}")
    numeric, clean, sums = _numeric_columns(frame,
                                            [c for c in covariates if c not in categorical])
    # Columns without NaN add nothing to ``missing``.
    missing = {c: np.isnan(v) for c, v in [(time, t), (event, ev), *numeric.items()]
               if c not in clean and v.size and np.isnan(v.min())}
    missing |= {c: frame[c].isna().to_numpy()
                for c in [*categorical, *strata, *([cluster] if cluster else [])]}
    drop = np.zeros(t.size, dtype=bool)
    for m in missing.values():
        drop |= m
    n_omitted = int(drop.sum())
    notes: list[str] = []
    if n_omitted:
        counts = ", ".join(f"{c!r}: {int(m.sum())}" for c, m in missing.items() if m.any())
        note = (f"{n_omitted} row{'s' if n_omitted > 1 else ''} with missing values omitted "
                f"({counts}), as R's na.omit; {int((~drop).sum())} rows used")
        warnings.warn(note, DegenerateDataWarning, stacklevel=3)
        notes.append(note)
    keep = ~drop
    if not keep.any():
        raise InputError("no complete rows: every row has a missing value in "
                         f"{', '.join(repr(c) for c in used)}")
    if n_omitted:
        t, ev = t[keep], ev[keep]
        numeric = {c: v[keep] for c, v in numeric.items()}
    if ev.sum() == 0:
        raise InputError(f"column {event!r}: no events among the {t.size} rows used; "
                         "a Cox model needs at least one event")

    columns: list[str] = []
    values: list[np.ndarray] = []
    means: list[float] = []
    terms: dict[str, tuple[int, ...]] = {}
    for c in covariates:
        if c in categorical:
            names, cols = _dummies(frame[c][keep], c, reference.get(c))
            means += [float(v.mean()) for v in cols]
        else:
            names, cols = [c], [numeric[c]]
            # The column sums of the checks, unless rows were dropped since.
            means.append(sums[c] / t.size if c in sums and not n_omitted
                         else float(numeric[c].mean()))
        terms[c] = tuple(range(len(columns), len(columns) + len(names)))
        columns += names
        values += cols

    # Sort by stratum, decreasing time, deaths before censorings at equal times (stable
    # sorts of the rows pre-ordered deaths first).
    if strata:
        pre = np.r_[np.flatnonzero(ev == 1), np.flatnonzero(ev == 0)]
        codes = frame.loc[keep, list(strata)].groupby(list(strata), sort=True).ngroup()
        stratum = codes.to_numpy(dtype=np.int64)
        order = pre[np.lexsort((-t[pre], stratum[pre]))]
        stratum = stratum[order]
        t, ev = t[order], ev[order]
    else:
        # The same order from one stable sort of integer keys: times >= +0.0 sort as
        # their bit patterns, reversed here, with the censored flag as the lowest bit.
        bits = (t + 0.0).view(np.int64)
        top = int(bits.max())
        key = (top - bits).view(np.uint64)
        key <<= 1
        key |= ev == 0
        order, key = _stable_sort(key)
        ev = 1.0 - (key & 1)
        key >>= 1
        t = np.subtract(top, key.view(np.int64), out=key.view(np.int64)).view(np.float64)
        stratum = np.zeros(t.size, dtype=np.int64)
    xt, sumsq, death_sum = _gather(values, order, np.array(means), ev)
    cl = None
    if cluster:
        cl = pd.factorize(frame[cluster][keep])[0][order]
    design = _Design(xt=xt, time=t, status=ev, stratum=stratum, cluster=cl,
                     columns=tuple(columns), terms=terms, sumsq=sumsq,
                     death_sum=death_sum)
    return design, n_omitted, notes


def _stable_sort(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The stable sorting permutation of ``key`` and the sorted keys.

    With few distinct keys (times recorded in days, or rounded), a radix sort of their
    16-bit ranks (numpy's stable sort of 16-bit integers), the ranks found by hashing;
    otherwise a comparison sort, several times slower on heavily tied keys.
    """
    ordered = np.sort(key)
    n_distinct = 1 + np.count_nonzero(ordered[1:] != ordered[:-1])
    if n_distinct <= 1 << 16:
        codes, uniques = pd.factorize(key)
        rank = np.empty(len(uniques), dtype=np.uint16)
        rank[np.argsort(uniques)] = np.arange(len(uniques), dtype=np.uint16)
        return np.argsort(rank[codes], kind="stable"), ordered
    return np.argsort(key, kind="stable"), ordered


def _gather(values: list[np.ndarray], order: np.ndarray, means: np.ndarray,
            status: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The columns in ``values`` reordered by ``order`` less ``means``, as the rows of a
    p x n array; the sum of squares of each row and its sum over ``status`` (sorted)."""
    n, p = len(order), len(values)
    xt = np.empty((p, n))
    sumsq = np.zeros(p)
    if all(v.flags.c_contiguous for v in values):
        for j, v in enumerate(values):
            # (mode "clip": take with ``out`` is buffered, 3 times slower, in mode "raise")
            np.take(v, order, out=xt[j], mode="clip")
            xt[j] -= means[j]
            sumsq[j] = np.einsum("i,i->", xt[j], xt[j])
        return xt, sumsq, np.einsum("ij,j->i", xt, status)
    # Columns of a frame built from a 2-D array are strided views of it (np.take would copy
    # each whole). Whole rows are gathered instead, one cache miss per patient rather than
    # one per value: from that array itself when every column is a view of it, else from a
    # row-major copy made a block at a time.
    shared = _row_major(values)
    if shared is not None:
        rowmajor, cols = shared
    else:
        rowmajor = np.empty((n, p))
        for a in range(0, n, _CHUNK):
            for j, v in enumerate(values):
                rowmajor[a:a + _CHUNK, j] = v[a:a + _CHUNK]
        cols = list(range(p))
    every = cols == list(range(rowmajor.shape[1]))
    buf = np.empty((_CHUNK, rowmajor.shape[1]))
    death_sum = np.zeros(p)
    for a in range(0, n, _CHUNK):
        m = min(_CHUNK, n - a)
        np.take(rowmajor, order[a:a + m], axis=0, out=buf[:m], mode="clip")
        block = xt[:, a:a + m]
        np.subtract((buf[:m] if every else buf[:m, cols]).T, means[:, None], out=block)
        sumsq += np.einsum("ij,ij->i", block, block)
        death_sum += block @ status[a:a + m]
    return xt, sumsq, death_sum


def _row_major(values: list[np.ndarray]) -> tuple[np.ndarray, list[int]] | None:
    """The C-ordered 2-D float array of which every array in ``values`` is a column, and
    their column numbers in it (the columns of a frame built from a 2-D array), or None."""
    base = values[0].base if values else None
    if (isinstance(base, np.ndarray) and base.ndim == 2 and base.dtype == np.float64
            and base.flags.c_contiguous and base.shape[0] == len(values[0])
            and all(v.base is base and v.strides == base.strides[:1] for v in values)):
        start = base.__array_interface__["data"][0]
        return base, [(v.__array_interface__["data"][0] - start) // 8 for v in values]
    return None


def _numeric_columns(frame: pd.DataFrame, columns: list[str]
                     ) -> tuple[dict[str, np.ndarray], set[str], dict[str, float]]:
    """:func:`_numeric` of each column, the columns known to be finite (no NaN) and the
    sums of those.

    A column's sum is finite only if all its values are (an overflow just takes the slow
    path). The columns of a 2-D frame, strided views of one array, are summed together,
    so that array is read from memory once.
    """
    fast = {c: frame[c].to_numpy(dtype=float) for c in columns
            if isinstance(frame[c].dtype, np.dtype) and frame[c].dtype.kind in "fiu"}
    n = len(frame)
    shared = _row_major(list(fast.values()))
    with np.errstate(over="ignore", invalid="ignore"):
        if shared is not None:
            base, cols = shared
            # BLAS, twice as fast as a reduce here, on blocks of rows (see _CHUNK)
            one = np.ones(min(n, 1 << 14))
            total = np.zeros(base.shape[1])
            for a in range(0, n, 1 << 14):
                block = base[a:a + (1 << 14)]
                total += one[:len(block)] @ block
            sums = dict(zip(fast, total[cols].tolist(), strict=True))
        else:
            sums = {c: float(np.add.reduce(v)) for c, v in fast.items()}
    clean = {c for c, total in sums.items() if math.isfinite(total) and n}
    return ({c: fast[c] if c in clean else _numeric(frame, c) for c in columns}, clean,
            {c: sums[c] for c in clean})


def _numeric(frame: pd.DataFrame, column: str, minimum: float | None = None) -> np.ndarray:
    """``numeric_column(..., allow_missing=True)``, with a fast path for clean float columns.

    Numeric columns whose values pass the checks skip the cell-by-cell conversion (it
    dominates the set-up at 10^6 rows); anything else goes through ``numeric_column``,
    which finds and names the offending row.
    """
    s = frame[column]
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "fiu" and len(s):
        # min and max are NaN if any value is: one check for NaN, infinity and the minimum.
        # A float64 column is returned as a view: it is only read.
        v = s.to_numpy(dtype=float)
        low, high = v.min(), v.max()
        if np.isfinite(low) and np.isfinite(high) and (minimum is None or low >= minimum):
            return v
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        finite = v[~np.isnan(v)]
        if np.isfinite(finite).all() and (minimum is None or not (finite < minimum).any()):
            return v
    return numeric_column(frame, column, minimum=minimum, allow_missing=True, noun="patient")


def _dummies(s: pd.Series, name: str, ref: object | None
             ) -> tuple[list[str], list[np.ndarray]]:
    """Treatment-contrast indicators of ``s`` against ``ref`` (default: first level)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = set(s.unique())
        levels = [lv for lv in s.cat.categories if lv in present]
    else:
        try:
            levels = sorted(s.unique())
        except TypeError:  # mixed types: order by their text
            levels = sorted(s.unique(), key=str)
    if len(levels) < 2:
        raise InputError(f"column {name!r}: a categorical covariate needs at least two levels; "
                         f"the rows used all have {levels[0]!r}")
    if ref is None:
        ref_level = levels[0]
    else:
        match = [lv for lv in levels if lv == ref or str(lv) == str(ref)]
        if not match:
            raise InputError(f"reference: level {ref!r} of column {name!r} not found; its "
                             f"levels are {', '.join(repr(str(v)) for v in levels)}")
        ref_level = match[0]
    arr = s.to_numpy()
    others = [lv for lv in levels if lv != ref_level]
    return ([f"{name}[{lv}]" for lv in others],
            [(arr == lv).astype(float) for lv in others])


def _check_estimable(info: np.ndarray, design: _Design) -> None:
    """Raise for a covariate with no information at beta = 0 (constant, or collinear).

    The information matrix at 0 is the sum over death times of the covariance of the
    covariates in the risk set; a zero pivot in its Cholesky factorisation (R's
    ``cholesky2`` with ``toler.chol``) means a column is constant within every risk set
    or a combination of earlier columns. R keeps going and reports ``NA``; here it is an
    error that names the column.
    """
    names = design.columns
    spread = design.sumsq / design.time.size * design.status.sum()
    for j in range(len(names)):
        if info[j, j] <= 1e-10 * spread[j]:
            where = "" if spread[j] == 0 else " among the patients at risk at the event times"
            if spread[j] > 0 and design.stratum.any():
                where += " within every stratum"
            raise InputError(f"covariate {names[j]!r} is constant{where}, so its hazard "
                             "ratio cannot be estimated; remove it")
        if j == 0:
            continue
        sub = info[:j, :j]
        coef = np.linalg.lstsq(sub, info[:j, j], rcond=None)[0]
        resid = info[j, j] - info[:j, j] @ coef
        if resid <= np.finfo(float).eps ** 0.75 * info[j, j]:
            others = [names[k] for k in np.flatnonzero(np.abs(coef) > 1e-8)]
            raise InputError(f"covariate {names[j]!r} is a linear combination of "
                             f"{', '.join(repr(o) for o in others)} (collinear; R reports NA "
                             "for it); remove one of them")


def _monotone(model: _Model, fit: _Fit, eps: float) -> list[int]:
    """Columns whose coefficient diverges (monotone likelihood); warns naming each one.

    R's test (``coxph.fit``): the next Newton step ``|V U|`` is still large relative to
    the coefficient. When a single covariate separates the deaths (every death has the
    largest, or smallest, value in its risk set) the warning says so.
    """
    step = np.abs(fit.var @ fit.score)
    diverging = ~np.isfinite(fit.score) | ((step > eps)
                                           & (step > math.sqrt(eps) * np.abs(fit.beta)))
    how = {int(j): _separates(model, int(j), 1 if fit.beta[j] > 0 else -1)
           for j in range(fit.beta.size) if diverging[j] or not fit.converged}
    # Out of iterations, R's test says nothing (the step is large anyway): flag a column
    # only when it separates the deaths on its own.
    flagged = [j for j, text in how.items()
               if text is not None or (diverging[j] and fit.converged)]
    for j in flagged:
        name = model.d.columns[j]
        sign = 1 if fit.beta[j] > 0 else -1
        reason = how[j] or (" (together with the other covariates it separates events "
                            "from survivors)")
        warnings.warn(
            f"monotone likelihood: the coefficient of {name!r} goes to "
            f"{'+' if sign > 0 else '-'}infinity (hazard ratio "
            f"{'infinite' if sign > 0 else '0'}){reason}; the estimate reported "
            f"({fit.beta[j]:.3g}, as R's) and its Wald test are meaningless; use the "
            "likelihood-ratio test, or a penalised (Firth) Cox model",
            DegenerateDataWarning, stacklevel=3)
    return flagged


def _separates(model: _Model, j: int, sign: int) -> str | None:
    """Explain the divergence if column ``j`` alone separates deaths from those at risk."""
    lay = model.lay
    ranks = np.unique(sign * model.d.xt[j], return_inverse=True)[1]
    k = int(ranks.max()) + 1
    # Running maximum within stratum: offsetting each stratum above the previous ones makes
    # a plain cumulative maximum restart at every stratum boundary.
    block_end, stratum_code = lay.row_blocks()
    run = np.maximum.accumulate(ranks + stratum_code * k)
    dead = np.flatnonzero(model.d.status == 1)
    at_risk_max = run[block_end[dead] - 1] - stratum_code[dead] * k
    if np.all(ranks[dead] == at_risk_max):
        word = "highest" if sign > 0 else "lowest"
        return (f": every event happened to a patient with the {word} value of "
                f"{model.d.columns[j]!r} among those still at risk")
    return None

