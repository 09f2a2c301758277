"""Systematic reviews: the records store, imports, de-duplication, screening, risk of bias,
extraction and PRISMA counts.

Everything is loaded on first use, so that importing a submodule
(``oncostat.review.normalise``) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from oncostat.review.agreement import Agreement, agreement, cohen_kappa
    from oncostat.review.dedup import DedupResult, deduplicate, find_duplicates
    from oncostat.review.extraction import (
        drop_high_risk,
        export_meta_table,
        import_extraction,
        record_extraction,
        rob_columns,
    )
    from oncostat.review.prisma import PrismaCounts, prisma_counts
    from oncostat.review.rob import (
        consensus_rob,
        import_rob,
        record_assessment,
        rob2_algorithm,
        rob_conflicts,
        rob_tools,
    )
    from oncostat.review.screening import (
        ScreeningImport,
        adjudicate,
        conflicts,
        export_queue,
        final_decisions,
        import_decisions,
    )
    from oncostat.review.store import ImportSummary, ReviewStore, import_file

_HOME = {"ImportSummary": "store", "ReviewStore": "store", "import_file": "store",
         "DedupResult": "dedup", "deduplicate": "dedup", "find_duplicates": "dedup",
         "PrismaCounts": "prisma", "prisma_counts": "prisma",
         "Agreement": "agreement", "agreement": "agreement", "cohen_kappa": "agreement",
         "drop_high_risk": "extraction", "export_meta_table": "extraction",
         "import_extraction": "extraction", "record_extraction": "extraction",
         "rob_columns": "extraction", "consensus_rob": "rob", "import_rob": "rob",
         "record_assessment": "rob", "rob2_algorithm": "rob", "rob_conflicts": "rob",
         "rob_tools": "rob", "ScreeningImport": "screening", "adjudicate": "screening",
         "conflicts": "screening", "export_queue": "screening",
         "final_decisions": "screening", "import_decisions": "screening"}
__all__ = ["Agreement", "DedupResult", "ImportSummary", "PrismaCounts", "ReviewStore",
           "ScreeningImport", "adjudicate", "agreement", "cohen_kappa", "conflicts",
           "consensus_rob", "deduplicate", "drop_high_risk", "export_meta_table", "export_queue",
           "final_decisions", "find_duplicates", "import_decisions", "import_extraction",
           "import_file", "import_rob", "prisma_counts", "record_assessment", "record_extraction",
           "rob2_algorithm", "rob_columns", "rob_conflicts", "rob_tools"]


def __getattr__(name: str) -> Any:
    if name in _HOME:
        from importlib import import_module

        return getattr(import_module(f"oncostat.review.{_HOME[name]}"), name)
    raise AttributeError(f"module 'oncostat.review' has no attribute {name!r}")
