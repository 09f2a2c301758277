"""The command line: one JSON object with --json, one-line errors (exit 1), usage exit 2."""

import json
import warnings

import pandas as pd
import pytest

from oncostat.cli import main
from oncostat.errors import DegenerateDataWarning

BCG = pd.DataFrame({
    "study": ["Aronson", "Ferguson", "Rosenthal", "Hart", "Frimodt-Moller", "Stein",
              "Vandiviere", "TPT Madras", "Coetzee", "Rosenthal 2", "Comstock", "Comstock 2",
              "Comstock 3"],
    "year": [1948, 1949, 1960, 1977, 1973, 1953, 1973, 1980, 1968, 1961, 1974, 1969, 1976],
    "events_treat": [4, 6, 3, 62, 33, 180, 8, 505, 29, 17, 186, 5, 27],
    "total_treat": [123, 306, 231, 13598, 5069, 1541, 2545, 88391, 7499, 1716, 50634, 2498,
                    16913],
    "events_ctrl": [11, 29, 11, 248, 47, 372, 10, 499, 45, 65, 141, 3, 29],
    "total_ctrl": [139, 303, 220, 12867, 5808, 1451, 629, 88391, 7277, 1665, 27338, 2341,
                   17854],
    "alloc": ["random", "random", "random", "random", "alternate", "alternate", "random",
              "random", "random", "systematic", "systematic", "systematic", "systematic"],
})


@pytest.fixture
def bcg_csv(tmp_path):
    path = tmp_path / "bcg.csv"
    BCG.to_csv(path, index=False)
    return path


def test_meta_json_has_the_documented_keys(bcg_csv, capsys):
    code = main(["meta", str(bcg_csv), "--model", "random", "--subgroup", "alloc",
                 "--leave-one-out", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("measure", "method", "model", "k", "estimate", "ci_low", "ci_high",
                "log_estimate", "z", "p", "heterogeneity", "prediction_interval", "studies",
                "subgroups", "subgroup_differences", "leave_one_out"):
        assert key in out, key
    assert set(out["heterogeneity"]) >= {"Q", "df", "p", "I2", "tau2", "H"}
    assert out["k"] == 13 and len(out["studies"]) == 13 and len(out["leave_one_out"]) == 13
    assert [s["subgroup"] for s in out["subgroups"]] == ["random", "alternate", "systematic"]
    assert sum(s["weight"] for s in out["studies"]) == pytest.approx(100)
    assert 0 < out["estimate"] < 1 and out["ci_low"] < out["estimate"] < out["ci_high"]


def test_meta_by_outcome_writes_figures_and_report(tmp_path, capsys):
    data = pd.concat([BCG.assign(outcome="TB"), BCG.iloc[:6].assign(outcome="Death")])
    path = tmp_path / "two.csv"
    data.to_csv(path, index=False)
    code = main(["meta", str(path), "--outcome", "outcome", "--forest",
                 str(tmp_path / "f.png"), "--report", str(tmp_path / "r.html"), "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"TB", "Death"} and out["Death"]["k"] == 6
    assert (tmp_path / "f_TB.png").stat().st_size > 0
    html = (tmp_path / "r.html").read_text()
    assert html.count("<svg") >= 2 and "Forest plot: TB" in html


def test_input_error_is_one_line_and_exit_1(tmp_path, capsys):
    bad = BCG.copy()
    bad.loc[2, "events_ctrl"] = 500
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    assert main(["meta", str(path), "--report", str(tmp_path / "r.html")]) == 1
    err = capsys.readouterr().err.strip()
    assert err == ("InputError: column 'events_ctrl', row 3 (study 'Rosenthal'): expected "
                   "events <= 'total_ctrl' (220), got 500")
    assert not (tmp_path / "r.html").exists()


def test_usage_error_exits_2(bcg_csv, capsys):
    assert main(["meta", str(bcg_csv), "--model", "randm"]) == 2
    assert "randm" in capsys.readouterr().err


def test_missing_file(capsys):
    assert main(["meta", "no/such/file.csv"]) == 1
    assert capsys.readouterr().err.strip() == "InputError: no/such/file.csv: no such file"


def test_table1_json_and_docx(tmp_path, capsys):
    data = pd.DataFrame({"arm": ["A"] * 6 + ["B"] * 6,
                         "age": [61, 55, 70, 64, 58, 67, 75, 72, 80, 69, 77, 74],
                         "sex": list("MFMFMMFFMFFM")})
    path = tmp_path / "cohort.csv"
    data.to_csv(path, index=False)
    assert main(["table1", str(path), "--group", "arm", "--test", "welch",
                 "--out", str(tmp_path / "t1.docx"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    age = next(r for r in rows if r["variable"] == "age")
    assert age["test"] == "welch" and 0 < age["p"] < 0.05
    assert (tmp_path / "t1.docx").stat().st_size > 0
    assert main(["table1", str(path), "--group", "arm", "--out", str(tmp_path / "t1.pdf")]) == 1
    assert "expected a .docx, .xlsx or .csv file" in capsys.readouterr().err


def test_review_init_import_dedup_prisma(tmp_path, capsys):
    from tests.conftest import REFERENCE

    fixtures = REFERENCE.parent / "fixtures" / "bibliographic"
    db = str(tmp_path / "review.db")
    assert main(["review", "init", db]) == 0
    assert main(["review", "import", db, str(fixtures / "pubmed_hcc.nbib"),
                 "--database", "PubMed"]) == 0
    assert main(["review", "import", db, str(fixtures / "scopus.csv"), "--database",
                 "Scopus", "--json"]) == 0
    capsys.readouterr()
    # A truncated file is refused with its line, and leaves the store as it was.
    assert main(["review", "import", db, str(fixtures / "truncated.ris"),
                 "--database", "Embase"]) == 1
    assert "truncated.ris, line 54" in capsys.readouterr().err
    assert main(["review", "dedup", db, "--clusters-out", str(tmp_path / "c.csv")]) == 0
    clusters = pd.read_csv(tmp_path / "c.csv")
    assert list(clusters.columns) == ["record_id", "cluster_id"] and len(clusters) == 9
    capsys.readouterr()
    assert main(["review", "prisma", db, "--json", "--out", str(tmp_path / "p.svg")]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["databases"] == {"PubMed": 5, "Scopus": 4}
    assert counts["screened"] == 9 - counts["duplicates_removed"]
    assert (tmp_path / "p.svg").read_text().startswith("<?xml")


def test_match_three_arms_json(tmp_path, capsys):
    import numpy as np

    rng = np.random.default_rng(7)
    n = 240
    data = pd.DataFrame({"id": [f"P{i:03d}" for i in range(n)],
                         "arm": rng.choice(["HIFU", "BSC", "PC"], n, p=[0.1, 0.3, 0.6]),
                         "age": rng.normal(62, 9, n).round(), "ecog": rng.integers(0, 3, n)})
    path = tmp_path / "cohort.csv"
    data.to_csv(path, index=False)
    assert main(["match", str(path), "--treatment", "arm", "--focal", "HIFU",
                 "--covariates", "age,ecog", "--ratio", "BSC=2,PC=2", "--json",
                 "--out", str(tmp_path / "matched.csv")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["caliper"]["sd_units"] == 0.2 and out["caliper"]["scale"] == "logit"
    assert {b["comparison"] for b in out["balance"]} == {"HIFU vs BSC", "HIFU vs PC",
                                                          "BSC vs PC"}
    first = out["sets"][0]
    assert first["focal"].startswith("P") and len(first["matches"]["PC"]) <= 2
    matched = pd.read_csv(tmp_path / "matched.csv")
    assert {"set_id", "weight", "ps"} <= set(matched.columns)
    assert out["n_matched"]["HIFU"] == matched["arm"].eq("HIFU").sum()
    assert main(["match", str(path), "--treatment", "arm", "--focal", "HIFU",
                 "--covariates", "age", "--ratio", "BSC=two"]) == 1
    assert "--ratio: expected a whole number" in capsys.readouterr().err


def test_match_without_caliper_and_other_models(capsys):
    from oncostat.matching import match
    from tests.conftest import REFERENCE

    path = REFERENCE / "matching" / "data" / "sim400.csv"
    data = pd.read_csv(path)
    covs = ["age", "albumin", "sex", "stage"]
    cmd = ["match", str(path), "--treatment", "treat", "--focal", "1", "--covariates",
           ",".join(covs), "--json"]

    def same_as_api(out, **api):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            res = match(data, treatment="treat", focal=1, covariates=covs, **api).to_dict()
        assert out["sets"] == res["sets"] and out["ps_model"] == res["ps_model"]

    assert main([*cmd, "--caliper", "none"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["caliper"] is None and out["n_matched"]["1"] == out["n_before"]["1"]
    same_as_api(out, caliper=None)
    with pytest.warns(DegenerateDataWarning, match="no match within the caliper"):
        assert main([*cmd, "--caliper", "0.1", "--ps-method", "probit", "--order",
                     "data"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["caliper"]["sd_units"] == 0.1
    same_as_api(out, caliper=0.1, ps_method="probit", order="data")
    assert main([*cmd, "--caliper", "wide"]) == 1
    assert "--caliper: expected a number of SD units (0.2) or 'none'" in capsys.readouterr().err


def test_review_screening_round_trip(tmp_path, capsys):
    from tests.conftest import REFERENCE

    nbib = REFERENCE.parent / "fixtures" / "bibliographic" / "pubmed_hcc.nbib"
    db = str(tmp_path / "review.db")
    assert main(["review", "init", db]) == 0
    assert main(["review", "import", db, str(nbib), "--database", "PubMed"]) == 0
    assert main(["review", "dedup", db]) == 0
    decisions = {"A": ["include", "include", "exclude", "exclude", "exclude"],
                 "B": ["include", "exclude", "exclude", "exclude", "exclude"]}
    for reviewer, answers in decisions.items():
        queue_file = tmp_path / f"queue_{reviewer}.csv"
        assert main(["review", "screen", "export", db, "--reviewer", reviewer,
                     "--stage", "title_abstract", "-o", str(queue_file)]) == 0
        queue = pd.read_csv(queue_file)
        assert "decision" in queue.columns and not any("A" == c for c in queue.columns)
        queue["decision"] = answers[: len(queue)]
        queue.to_csv(queue_file, index=False)
        assert main(["review", "screen", "import", db, str(queue_file), "--reviewer",
                     reviewer, "--stage", "title_abstract"]) == 0
    capsys.readouterr()
    assert main(["review", "screen", "conflicts", db, "--stage", "title_abstract"]) == 0
    assert "No conflicts." not in capsys.readouterr().out
    assert main(["review", "screen", "agreement", db, "--stage", "title_abstract",
                 "--json"]) == 0
    agreement = json.loads(capsys.readouterr().out)
    assert 0 < agreement["kappa"] < 1
    # A second import of the same decisions by the same reviewer is refused, nothing written.
    assert main(["review", "screen", "import", db, str(tmp_path / "queue_A.csv"),
                 "--reviewer", "A", "--stage", "title_abstract"]) == 1
