"""Meta-analysis: effect sizes, pooling, heterogeneity, subgroups and sensitivity analyses."""

from oncostat.meta.analysis import MetaSpec, PooledEstimate, meta_analysis
from oncostat.meta.sensitivity import SequentialAnalysis, cumulative, leave_one_out
from oncostat.meta.subgroup import SubgroupAnalysis, subgroup_analysis

__all__ = [
    "MetaSpec",
    "PooledEstimate",
    "SequentialAnalysis",
    "SubgroupAnalysis",
    "cumulative",
    "leave_one_out",
    "meta_analysis",
    "subgroup_analysis",
]
