"""Self-contained HTML reports and table export."""

from oncostat.report.builder import Report, Section

__all__ = ["Report", "Section"]
