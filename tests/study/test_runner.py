"""`oncostat run`: a study file in, a report with tables and figures out; bad data, nothing."""

import pandas as pd
import pytest

from oncostat.errors import InputError
from oncostat.study import run_study
from tests.conftest import REFERENCE

STUDY = """title = "BCG vaccine"
[[meta]]
name = "Tuberculosis"
data = "bcg.csv"
outcome = "outcome"
model = "random"
subgroup = "alloc"
leave_one_out = true
small_study = true
"""


@pytest.fixture
def study(tmp_path):
    bcg = pd.read_csv(REFERENCE / "meta" / "data" / "bcg.csv")
    bcg["alloc"] = ["random"] * 4 + ["alternate"] * 2 + ["random"] * 3 + ["systematic"] * 4
    pd.concat([bcg.assign(outcome="TB"), bcg.iloc[:8].assign(outcome="TB death")]).to_csv(
        tmp_path / "bcg.csv", index=False)
    path = tmp_path / "study.toml"
    path.write_text(STUDY)
    return path


def test_run_writes_report_tables_and_figures(study, tmp_path):
    out = tmp_path / "out"
    report = run_study(study, out)
    html = report.read_text()
    assert report.name == f"{tmp_path.name}.html"
    assert html.count("<b>Figure") == 4  # forest + funnel per outcome
    assert html.count("Test for subgroup differences: Chi²") >= 2
    assert "sensitivity analysis omitting one study at a time" in html
    tables = sorted(p.name for p in (out / f"{tmp_path.name}_tables").iterdir())
    assert tables[0] == "table1_pooled.csv" and "tables.xlsx" in tables
    figures = {p.suffix for p in (out / f"{tmp_path.name}_figures").iterdir()}
    assert figures == {".png", ".svg", ".pdf"}
    pooled = pd.read_csv(out / f"{tmp_path.name}_tables" / "table1_pooled.csv")
    assert list(pooled["Outcome"]) == ["TB", "TB death"]


def test_bad_data_stops_the_run_before_anything_is_written(study, tmp_path):
    data = pd.read_csv(tmp_path / "bcg.csv")
    data.loc[3, "total_ctrl"] = -1
    data.to_csv(tmp_path / "bcg.csv", index=False)
    with pytest.raises(InputError, match=r"column 'total_ctrl', row 4 \(study 'Hart"):
        run_study(study, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_review_section_imports_dedups_and_draws_prisma(tmp_path):
    import shutil

    fixtures = REFERENCE.parent / "fixtures" / "bibliographic"
    for name in ("pubmed_hcc.nbib", "scopus.csv"):
        shutil.copy(fixtures / name, tmp_path / name)
    (tmp_path / "study.toml").write_text(
        'title = "Review"\n[review]\n'
        '[[review.sources]]\nfile = "pubmed_hcc.nbib"\ndatabase = "PubMed"\n'
        '[[review.sources]]\nfile = "scopus.csv"\ndatabase = "Scopus"\n')
    report = run_study(tmp_path / "study.toml", tmp_path / "out")
    html = report.read_text()
    assert "Search exports imported into the review store." in html
    assert "PRISMA 2020 flow diagram" in html and html.count("<svg") == 1
    assert (tmp_path / "out" / f"{tmp_path.name}_review.db").stat().st_size > 0
    imports = pd.read_csv(tmp_path / "out" / f"{tmp_path.name}_tables" / "table1_imports.csv")
    assert list(imports["Records"]) == [5, 4]
