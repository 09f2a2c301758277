"""oncostat: from raw data to publication-ready evidence on oncology treatments."""

__version__ = "0.1.0"
