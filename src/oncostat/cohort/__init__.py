"""Cohort description: Table 1 of baseline characteristics with tests and SMDs."""

from oncostat.cohort.table1 import Table1Comparison, Table1Result, side_by_side, table1

__all__ = ["Table1Comparison", "Table1Result", "side_by_side", "table1"]
