"""A small review store shared by the screening, risk-of-bias and extraction tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncostat.review import ReviewStore, import_file

TOPICS = ["HIFU combined with radiotherapy for hepatocellular carcinoma",
          "Radiofrequency ablation and SBRT in liver cancer, randomised",
          "Dietary habits of adolescents in a school survey",
          "Machine learning for traffic prediction in cities"]


def write_ris(path: Path, n: int) -> Path:
    """``n`` RIS records cycling through :data:`TOPICS` (distinct titles and DOIs)."""
    lines = []
    for i in range(1, n + 1):
        topic = TOPICS[(i - 1) % len(TOPICS)]
        lines += ["TY  - JOUR", f"TI  - {topic}: study {i}", f"AU  - Author{i}, A.",
                  f"PY  - {2010 + i % 10}", "JO  - J Test", f"DO  - 10.1000/test.{i}",
                  f"AB  - Abstract {i} about {topic.lower()}.", "ER  - ", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path: Path) -> ReviewStore:
    """A store with 12 records (ids 1-12) from one RIS batch, no de-duplication run."""
    s = ReviewStore.create(tmp_path / "review.db")
    import_file(s, write_ris(tmp_path / "search.ris", 12), database="PubMed",
                search_date="2024-11-30")
    yield s
    s.close()
