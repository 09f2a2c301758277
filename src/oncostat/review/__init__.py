"""Systematic reviews: the records store, imports, de-duplication and PRISMA counts.

Everything is loaded on first use, so that importing a submodule
(``oncostat.review.normalise``) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from oncostat.review.dedup import DedupResult, deduplicate, find_duplicates
    from oncostat.review.prisma import PrismaCounts, prisma_counts
    from oncostat.review.store import ImportSummary, ReviewStore, import_file

_HOME = {"ImportSummary": "store", "ReviewStore": "store", "import_file": "store",
         "DedupResult": "dedup", "deduplicate": "dedup", "find_duplicates": "dedup",
         "PrismaCounts": "prisma", "prisma_counts": "prisma"}
__all__ = ["DedupResult", "ImportSummary", "PrismaCounts", "ReviewStore", "deduplicate",
           "find_duplicates", "import_file", "prisma_counts"]


def __getattr__(name: str) -> Any:
    if name in _HOME:
        from importlib import import_module

        return getattr(import_module(f"oncostat.review.{_HOME[name]}"), name)
    raise AttributeError(f"module 'oncostat.review' has no attribute {name!r}")
