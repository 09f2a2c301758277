"""Study files (TOML) describing a whole analysis, and the runner that executes them."""

from oncostat.study.runner import run_study
from oncostat.study.spec import StudyFile, load_study

__all__ = ["StudyFile", "load_study", "run_study"]
