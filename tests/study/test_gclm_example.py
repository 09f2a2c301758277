"""The bundled cohort example (examples/gclm_hifu) run end to end, checked against the
seed paper (Zhou et al., BMC Surg 2021;21:308): the flow of Fig. 1, 1:2:2 matching to
8/16/16, the HIFU median OS not reached (the paper's 27.5 months is the plain median of the
observed times), and a report that works offline."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from oncostat.errors import DegenerateDataWarning
from oncostat.study.cohort import run_cohort
from oncostat.study.runner import run_study
from oncostat.study.spec import load_study

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gclm_hifu" / "study.toml"


@pytest.fixture(scope="module")
def run():
    study, folder = load_study(EXAMPLE)
    with pytest.warns(DegenerateDataWarning, match="median not reached"):
        return run_cohort(study.cohort, folder)


def test_flow_matches_figure1(run):
    assert [n for _, n in run.flow.boxes] == [960, 331, 172]
    assert run.flow.arms == {"HIFU": 8, "BSC": 55, "PC": 109}


def test_matching_gives_8_16_16(run):
    assert run.match.n_matched == {"HIFU": 8, "BSC": 16, "PC": 16}


def test_hifu_median_os_not_reached(run):
    summary = next(s for ep, s in run.endpoints if ep.name == "Overall survival")
    medians = summary.km.medians.set_index("group")
    assert not medians.loc["HIFU", "reached"]
    assert medians.loc[["BSC", "PC"], "reached"].all()


def test_response_rates_match_the_paper(run):
    _, rates = run.response
    table = rates.to_frame().set_index("arm")
    # HIFU 5 CR + 2 PR of 8 (mRECIST); PC 3 CR + 6 PR of 16; BSC all PD (RECIST 1.1)
    counts = table[["CR", "PR", "SD", "PD"]].astype(int)
    assert counts.loc["HIFU"].tolist() == [5, 2, 1, 0]
    assert counts.loc["PC"].tolist() == [3, 6, 3, 4]
    assert counts.loc["BSC"].tolist() == [0, 0, 0, 16]
    assert round(100 * table.loc["HIFU", "orr"], 1) == 87.5
    assert round(100 * table.loc["PC", "orr"], 2) == 56.25


def test_report_is_offline_and_renders(tmp_path, artifacts):
    with pytest.warns(DegenerateDataWarning):
        report = run_study(EXAMPLE, tmp_path)
    html = report.read_text()
    # Self-contained: no external script, stylesheet or image.
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']https?://""", html)
    # flow, matching flow, love plot, two KM plots, waterfall, AE dot plot
    assert html.count("<svg") == 7
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium not installed: the offline check above still ran")
    shot = artifacts / "gclm_report.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--no-first-run", f"--user-data-dir={tmp_path / 'chromium'}",
                    "--window-size=1200,3000", f"--screenshot={shot}", report.as_uri()],
                   check=True, capture_output=True, timeout=120)
    assert shot.stat().st_size > 50_000
