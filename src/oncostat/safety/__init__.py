"""Safety: CTCAE adverse-event tables by arm (:func:`adverse_event_table`)."""

from oncostat.safety.adverse_events import ANY_EVENT, AdverseEventTable, adverse_event_table

__all__ = ["ANY_EVENT", "AdverseEventTable", "adverse_event_table"]
