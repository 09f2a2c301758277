"""Eligibility flow: the counts behind a STROBE/CONSORT-style flow diagram (the seed's Fig. 1).

Criteria are applied in order to a table with one row per screened patient. Each step
either names a box (the patients remaining) or excludes the patients for whom an
expression holds, with the reason printed in the side box. The patients left at the end
are split by arm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from oncostat._results import ResultMixin, jsonable
from oncostat._validate import as_frame, require_columns
from oncostat.errors import InputError

__all__ = ["EligibilityFlow", "FlowStep", "eligibility_flow"]


@dataclass(frozen=True, slots=True)
class FlowStep:
    """``box``: a count box with this label; ``exclude``: a reason, removing rows where
    ``where`` (a pandas query expression on the screening table) is true."""

    box: str | None = None
    exclude: str | None = None
    where: str | None = None


@dataclass(frozen=True, slots=True)
class EligibilityFlow(ResultMixin):
    """Result of :func:`eligibility_flow`.

    ``boxes`` lists ``(label, n)`` in order; ``exclusions[i]`` the ``(reason, n)`` removed
    between box ``i`` and box ``i + 1``; ``arms`` the final patients per arm;
    ``eligible`` the rows that remain.
    """

    boxes: tuple[tuple[str, int], ...]
    exclusions: tuple[tuple[tuple[str, int], ...], ...]
    arms: dict[str, int]
    eligible: pd.DataFrame = field(repr=False)

    def __str__(self) -> str:
        lines = ["Eligibility flow"]
        for i, (label, n) in enumerate(self.boxes):
            lines.append(f"  {label}: n = {n:,}")
            for reason, k in self.exclusions[i] if i < len(self.exclusions) else ():
                lines.append(f"      excluded, {reason}: n = {k:,}")
        if self.arms:
            lines.append("  " + ", ".join(f"{a}: n = {n:,}" for a, n in self.arms.items()))
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        rows: list[dict[str, Any]] = []
        for i, (label, n) in enumerate(self.boxes):
            rows.append({"step": label, "kind": "box", "n": n})
            for reason, k in self.exclusions[i] if i < len(self.exclusions) else ():
                rows.append({"step": reason, "kind": "excluded", "n": k})
        rows += [{"step": a, "kind": "arm", "n": n} for a, n in self.arms.items()]
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"steps": self.to_frame(), "arms": self.arms})

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        from oncostat.plot.flow import flow_diagram

        return flow_diagram(self, ax=ax, **kwargs)


def eligibility_flow(data: pd.DataFrame, steps: Sequence[FlowStep | dict[str, str]], *,
                     arm: str | None = None, arms: Sequence[str] | None = None,
                     source: str = "screening table") -> EligibilityFlow:
    """Apply ``steps`` in order and count the patients at every box and exclusion.

    Parameters
    ----------
    data : DataFrame
        One row per screened patient (never modified).
    steps : sequence of FlowStep or dicts with ``box`` or ``exclude`` + ``where``
        The first step must be a box (everyone screened). Exclusions between two boxes are
        listed together in one side box, in order; a patient is counted under the first
        reason that removes them.
    arm : str, optional
        Column with the arm of the patients who remain; ``arms`` fixes the order.
    source : str
        Name used in error messages (the file name).

    Raises
    ------
    InputError
        An expression that does not parse or refers to an unknown column, names the step.
    """
    df = as_frame(data, what=source)
    parsed = [s if isinstance(s, FlowStep) else FlowStep(**s) for s in steps]
    if not parsed or parsed[0].box is None:
        raise InputError(f"{source}: the first eligibility step must be a box (everyone "
                         "screened), e.g. {box = \"Patients screened\"}")
    keep = np.ones(len(df), dtype=bool)
    boxes: list[tuple[str, int]] = []
    exclusions: list[list[tuple[str, int]]] = []
    for i, step in enumerate(parsed):
        if step.box is not None:
            boxes.append((step.box, int(keep.sum())))
            exclusions.append([])
            continue
        if not step.exclude or not step.where:
            raise InputError(f"{source}: eligibility step {i + 1}: expected 'box', or "
                             "'exclude' with 'where'")
        hit = _evaluate(df, step.where, source, i)
        removed = keep & hit
        exclusions[-1].append((step.exclude, int(removed.sum())))
        keep &= ~hit
    if parsed[-1].box is None:
        boxes.append(("Eligible", int(keep.sum())))
        exclusions.append([])
    eligible = df.loc[keep].reset_index(drop=True)
    counts: dict[str, int] = {}
    if arm is not None:
        require_columns(eligible, [arm], what=source)
        values = eligible[arm].astype("string")
        order = list(arms) if arms is not None else sorted(values.dropna().unique())
        counts = {a: int((values == a).sum()) for a in order}
    return EligibilityFlow(tuple(boxes), tuple(tuple(e) for e in exclusions[:-1]), counts,
                           eligible)


def _evaluate(df: pd.DataFrame, expr: str, source: str, i: int) -> np.ndarray:
    try:
        hit = df.eval(expr, engine="python")
    except Exception as exc:  # pandas raises many types; the user needs the step and cause
        raise InputError(f"{source}: eligibility step {i + 1}: cannot evaluate {expr!r}: "
                         f"{exc}") from None
    if not (isinstance(hit, pd.Series) and pd.api.types.is_bool_dtype(hit.dtype)):
        raise InputError(f"{source}: eligibility step {i + 1}: {expr!r} must be true or false "
                         "for every patient")
    return hit.fillna(False).to_numpy(dtype=bool)
