"""Builders for small lesion tables: one row per patient, day and lesion."""

import pandas as pd

COLUMNS = ("patient", "day", "lesion", "kind", "diameter", "organ", "node", "status")


def lesion_table(*rows: tuple) -> pd.DataFrame:
    """Rows of (patient, day, lesion, kind, diameter[, organ[, node[, status]]])."""
    full = []
    for r in rows:
        r = tuple(r) + (None,) * (len(COLUMNS) - len(r))
        organ = r[5] if r[5] is not None else "liver"
        node = bool(r[6]) if r[6] is not None else False
        status = r[7] if r[7] is not None else ("present" if r[3] == "non_target" else None)
        full.append((*r[:5], organ, node, status))
    return pd.DataFrame(full, columns=list(COLUMNS))


def targets(patient: str, series: dict[str, list[float]], days: list[float],
            organs: dict[str, str] | None = None) -> list[tuple]:
    """Target rows: each lesion's diameters at each day (NaN: not measured)."""
    organs = organs or {}
    return [(patient, d, les, "target", v, organs.get(les, "liver"))
            for les, values in series.items() for d, v in zip(days, values, strict=True)]


COLS = {"patient": "patient", "date": "day", "lesion": "lesion", "kind": "kind",
        "diameter": "diameter", "organ": "organ", "lymph_node": "node", "status": "status"}
