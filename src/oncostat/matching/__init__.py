"""Propensity scores, matching and balance diagnostics."""
