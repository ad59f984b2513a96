"""The demo's population frame: headcounts per organisation x unit x function group.

Sized like the real organisations (public figures, approximate; see
/work/shared/domain/BRIEF.md): the police about 65,000 staff over 13 units and 7 function
groups, the OM about 6,000 over 15 units and 4 function groups, with officers of justice
and advocates-general about 18% of OM staff. Units differ in size as the real ones do
(Rotterdam and Oost-Nederland large, Limburg and Zeeland-West-Brabant small; the Police
Services Centre is almost all support staff).

Only cells that exist in reality are in the frame (no community officers at the Police
Services Centre), and some real cells are small (the few prosecutors at the
Parket-Generaal, the handful of operational staff in the national staff units): with
about a third responding they are collapsed in the weighting and make the published
breakdowns show suppression.

The base frame is fixed (it does not depend on the demo's `--seed`); each wave's frame is
the base frame grown a little per year with some movement between cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# The frame's own random numbers: the "real" organisation does not change with --seed.
_FRAME_SEED = 2014
MIN_CELL_HEADCOUNT = 5  # smaller cells would make the 25-45% response rate impossible

POLICE_UNITS: dict[str, int] = {
    "pol-nn": 4_900,
    "pol-on": 7_300,
    "pol-mn": 4_500,
    "pol-nh": 3_900,
    "pol-ams": 6_600,
    "pol-dh": 6_300,
    "pol-rot": 7_200,
    "pol-zwb": 4_000,
    "pol-ob": 3_500,
    "pol-lim": 3_100,
    "pol-le": 5_700,  # Landelijke Eenheid
    "pol-pdc": 6_700,  # Politiedienstencentrum
    "pol-overig": 1_300,  # Staf Korpsleiding and other national parts
}
OM_UNITS: dict[str, int] = {
    "om-nn": 400,
    "om-on": 560,
    "om-mn": 370,
    "om-nh": 310,
    "om-ams": 560,
    "om-dh": 520,
    "om-rot": 610,
    "om-zwb": 420,
    "om-ob": 330,
    "om-lim": 270,
    "om-lp": 460,  # Landelijk Parket
    "om-fp": 330,  # Functioneel Parket
    "om-rp": 260,  # Ressortsparket (advocates-general)
    "om-pg": 170,  # Parket-Generaal
    "om-overig": 430,  # national services
}

# Function-group shares per kind of unit (each row sums to 1).
_POLICE_REGIONAL = {
    "pol-basis": 0.36,
    "pol-wijk": 0.08,
    "pol-ops": 0.20,
    "pol-is": 0.07,
    "pol-leid": 0.07,
    "pol-ond": 0.16,
    "pol-asp": 0.06,
}
_POLICE_SHARES: dict[str, dict[str, float]] = {
    # Traffic, water and railway police count as enforcement; no community officers.
    "pol-le": {
        "pol-basis": 0.22,
        "pol-ops": 0.40,
        "pol-is": 0.03,
        "pol-leid": 0.08,
        "pol-ond": 0.25,
        "pol-asp": 0.02,
    },
    "pol-pdc": {"pol-is": 0.03, "pol-leid": 0.07, "pol-ond": 0.90},
    "pol-overig": {"pol-basis": 0.01, "pol-ops": 0.03, "pol-leid": 0.16, "pol-ond": 0.80},
}
_OM_DISTRICT = {"om-ovj": 0.19, "om-jur": 0.40, "om-ond": 0.34, "om-leid": 0.07}
_OM_SHARES: dict[str, dict[str, float]] = {
    "om-lp": {"om-ovj": 0.22, "om-jur": 0.40, "om-ond": 0.31, "om-leid": 0.07},
    "om-fp": {"om-ovj": 0.22, "om-jur": 0.42, "om-ond": 0.29, "om-leid": 0.07},
    "om-rp": {"om-ovj": 0.30, "om-jur": 0.38, "om-ond": 0.25, "om-leid": 0.07},
    "om-pg": {"om-ovj": 0.06, "om-jur": 0.30, "om-ond": 0.52, "om-leid": 0.12},
    "om-overig": {"om-ovj": 0.02, "om-jur": 0.15, "om-ond": 0.75, "om-leid": 0.08},
}


@dataclass(frozen=True)
class Cell:
    organisation: str
    unit: str
    function_group: str
    headcount: int


def _split(total: int, shares: dict[str, float], rng: np.random.Generator) -> dict[str, int]:
    """Split a unit's headcount over its function groups: shares jittered by up to 10%,
    then rounded by largest remainder so that the parts add up to the total."""
    codes = list(shares)
    raw = np.array([shares[c] for c in codes]) * rng.uniform(0.9, 1.1, len(codes))
    exact = raw / raw.sum() * total
    counts = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - counts))[: total - counts.sum()]:
        counts[i] += 1
    return {c: max(int(n), MIN_CELL_HEADCOUNT) for c, n in zip(codes, counts, strict=True)}


def base_frame() -> list[Cell]:
    """The organisations as they are: about 65,000 police and 6,000 OM staff."""
    rng = np.random.default_rng(_FRAME_SEED)
    cells: list[Cell] = []
    for organisation, units, default, special in (
        ("pol", POLICE_UNITS, _POLICE_REGIONAL, _POLICE_SHARES),
        ("om", OM_UNITS, _OM_DISTRICT, _OM_SHARES),
    ):
        for unit, total in units.items():
            for group, headcount in _split(total, special.get(unit, default), rng).items():
                cells.append(Cell(organisation, unit, group, headcount))
    return cells


# Yearly growth of the police (recruitment drive) and the OM; aspirants fluctuate most.
_GROWTH = {"pol": 0.012, "om": 0.008}


def wave_frame(
    base: list[Cell], years_after_first: int, rng: np.random.Generator, scale: float = 1.0
) -> list[Cell]:
    """The frame of a later wave: the base grown per year, each cell moved by a few per
    cent. `scale` shrinks every cell (for quick tests only; at least 5 per cell)."""
    cells = []
    for cell in base:
        growth = (1 + _GROWTH[cell.organisation]) ** years_after_first
        spread = 0.08 if cell.function_group == "pol-asp" else 0.025
        noise = 1.0 if years_after_first == 0 else rng.normal(1.0, spread)
        headcount = cell.headcount * growth * max(noise, 0.7) * scale
        cells.append(
            Cell(
                cell.organisation,
                cell.unit,
                cell.function_group,
                max(MIN_CELL_HEADCOUNT, round(headcount)),
            )
        )
    return cells


def frame_csv(cells: list[Cell]) -> str:
    """The frame as `monitor frame load` reads it."""
    lines = ["organisation,unit,function_group,headcount"]
    lines += [f"{c.organisation},{c.unit},{c.function_group},{c.headcount}" for c in cells]
    return "\n".join(lines) + "\n"


def totals(cells: list[Cell]) -> dict[str, int]:
    out: dict[str, int] = {}
    for cell in cells:
        out[cell.organisation] = out.get(cell.organisation, 0) + cell.headcount
    return out


# --- response rates -------------------------------------------------------------------

MIN_RATE, MAX_RATE = 0.25, 0.45
_GROUP_RATE = {
    "pol-basis": 0.29,
    "pol-wijk": 0.35,
    "pol-ops": 0.33,
    "pol-is": 0.31,
    "pol-leid": 0.42,
    "pol-ond": 0.36,
    "pol-asp": 0.27,
    "om-ovj": 0.34,
    "om-jur": 0.39,
    "om-ond": 0.37,
    "om-leid": 0.43,
}


def respondents_per_cell(cells: list[Cell], rng: np.random.Generator) -> np.ndarray:
    """Respondents per cell: a rate per function group, moved per unit and per wave,
    kept within 25-45% of the cell's headcount (also after the binomial draw)."""
    unit_shift = {
        unit: shift
        for unit, shift in zip(
            sorted({c.unit for c in cells}),
            np.random.default_rng(_FRAME_SEED + 1).uniform(
                -0.04, 0.04, len({c.unit for c in cells})
            ),
            strict=True,
        )
    }
    wave_shift = rng.uniform(-0.02, 0.02)
    counts = np.empty(len(cells), dtype=int)
    for i, cell in enumerate(cells):
        rate = _GROUP_RATE[cell.function_group] + unit_shift[cell.unit] + wave_shift
        rate = min(max(rate + rng.normal(0, 0.015), MIN_RATE + 0.01), MAX_RATE - 0.01)
        drawn = rng.binomial(cell.headcount, rate)
        low = math.ceil(MIN_RATE * cell.headcount)
        high = math.floor(MAX_RATE * cell.headcount)
        counts[i] = min(max(drawn, low), high)
    return counts
