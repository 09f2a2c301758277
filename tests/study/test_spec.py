"""Study files: validation messages name the file, the key and what is allowed."""

import pytest

from oncostat.errors import InputError
from oncostat.study import load_study


def write(tmp_path, text):
    (tmp_path / "d.csv").write_text("study,events_treat,total_treat,events_ctrl,total_ctrl\n"
                                    "A,1,10,2,10\nB,3,12,5,11\n")
    path = tmp_path / "study.toml"
    path.write_text(text)
    return path


def test_valid_file(tmp_path):
    study, folder = load_study(write(tmp_path, 'title = "T"\n[[meta]]\nname = "x"\n'
                                                'data = "d.csv"\nmodel = "random"\n'))
    assert study.meta[0].model == "random" and folder == tmp_path


@pytest.mark.parametrize(("body", "message"), [
    ('[[meta]]\nname = "x"\ndata = "d.csv"\n', r"study.toml: title: required key is missing"),
    ('title = "T"\n[[meta]]\nname = "x"\ndata = "d.csv"\nmodel = "randon"\n',
     r"study.toml: meta\[0\].model: got 'randon'; allowed: 'fixed' or 'random'"),
    ('title = "T"\n[[meta]]\nname = "x"\ndata = "d.csv"\nmodle = "random"\n',
     r"study.toml: meta\[0\].modle: unknown key"),
    ('title = "T"\n[[meta]]\nname = "x"\ndata = "missing.csv"\n',
     r"study.toml: meta\[0\].data: file 'missing.csv' not found next to the study file"),
    ('title = "T\n', r"study.toml: not valid TOML"),
    ('title = "T"\n[[meta]]\nname = "x"\n',
     r"study.toml: meta\[0\]: give either 'data' \(a table\) or 'review_outcome'"),
    ('title = "T"\n[[meta]]\nname = "x"\nreview_outcome = "PR"\n',
     r"meta\[0\].review_outcome: needs \[\[review.extraction\]\]"),
    ('title = "T"\n[[meta]]\nname = "x"\ndata = "d.csv"\nexclude_high_risk = true\n',
     r"meta\[0\].exclude_high_risk: needs 'review_outcome'"),
    ('title = "T"\n[review]\nscreening = "d.csv"\n[[review.sources]]\nfile = "d.csv"\n'
     'database = "X"\n[[review.decisions]]\nfile = "d.csv"\nreviewer = "A"\n'
     'stage = "title_abstract"\n', r"review.screening: give either 'screening'"),
    ('title = "T"\n[review]\n[[review.sources]]\nfile = "d.csv"\ndatabase = "X"\n'
     '[[review.decisions]]\nfile = "d.csv"\nreviewer = "A"\nstage = "abstract"\n',
     r"review.decisions\[0\].stage: got 'abstract'; allowed: 'title_abstract' or "
     r"'full_text'"),
    ('title = "T"\n[review]\n[[review.sources]]\nfile = "d.csv"\ndatabase = "X"\n'
     '[[review.rob]]\nfile = "d.csv"\nassessor = "A"\n[[review.rob]]\nfile = "d.csv"\n'
     'assessor = "B"\ntool = "rob2"\n', r"review.rob: one risk-of-bias tool per review"),
    ('title = "T"\n[review]\n[[review.sources]]\nfile = "d.csv"\ndatabase = "X"\n'
     '[[review.extraction]]\nfile = "gone.csv"\nextractor = "A"\n',
     r"review.extraction\[0\].file: file 'gone.csv' not found"),
])
def test_invalid_files(tmp_path, body, message):
    with pytest.raises(InputError, match=message):
        load_study(write(tmp_path, body))
