"""Survival analysis: Kaplan-Meier, the log-rank family, RMST, follow-up and summaries."""

from oncostat.survival.cox import CoxResult, cox_ph
from oncostat.survival.followup import FollowUpResult, median_followup
from oncostat.survival.kaplan_meier import KaplanMeierCurve, KaplanMeierResult, kaplan_meier
from oncostat.survival.logrank import (
    LogRankResult,
    PairwiseLogRankResult,
    TrendTestResult,
    logrank_test,
    logrank_trend,
    pairwise_logrank,
)
from oncostat.survival.rmst import RMSTResult, rmst
from oncostat.survival.summary import SurvivalSummary, survival_summary

__all__ = [
    "CoxResult",
    "FollowUpResult",
    "KaplanMeierCurve",
    "KaplanMeierResult",
    "LogRankResult",
    "PairwiseLogRankResult",
    "RMSTResult",
    "SurvivalSummary",
    "TrendTestResult",
    "cox_ph",
    "kaplan_meier",
    "logrank_test",
    "logrank_trend",
    "median_followup",
    "pairwise_logrank",
    "rmst",
    "survival_summary",
]
