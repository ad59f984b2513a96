"""Synthetic respondents for the demo, drawn on columns with numpy.

Every respondent gets latent states first (threatened, escalated, targeted in private
life, ...), drawn per weighting cell, and the answers follow from them, question by
question, with exactly the routing of the questionnaire: a question gets an answer only
where it is shown. The answers then go through `validate_many` like real ones (see
`app.demo.service`), so a mistake here fails loudly instead of being stored.

Hitting the seed's figures (the 2014 letter) in the first wave
----------------------------------------------------------------
The published figures are post-stratified (weight ``N_h / n_h`` per cell, CONTRACT
section 7). The probability of being threatened is therefore set per cell so that its
headcount-weighted mean is the target: basic police care 56% and officers of justice
17%, the other function groups lower, scaled so that the police come to 41% and the OM to
8%; units differ around that (the big cities higher), normalised within each function
group. Rates among the threatened (escalation 27% / 3%, ...) are set the same way,
weighted by the threatened headcount of each cell.

Latent states are drawn by *systematic sampling* in a fixed order (organisation,
function group, weight, cell, then random): each respondent still has exactly the
intended probability, but the number drawn in any run of that order is within one of
its expectation. That removes most of the sampling noise from the weighted estimates,
so the first wave's figures land near the seed values for any seed (and scale),
instead of outside their 95% intervals now and then; the trends over the later waves
are then the drifts set in `TRENDS`. Item non-response ("rather not say", "don't
know") is decided before the state, so it does not bias the estimates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from app.demo.population import Cell
from app.questionnaires.schema import Questionnaire

YES = ("once", "several", "often")
FORMS = (
    "verbal",
    "threat",
    "intimidation",
    "stalking",
    "physical",
    "sexual",
    "discrimination",
    "property",
    "online",
)
THREAT_FORMS = ("threat", "intimidation", "stalking")

# Waves of the demo, oldest first: the indices of TRENDS. Waves 4 and 5 use mm-2027.1,
# whose `satisfaction` question asks about care and support: a series break, and the
# level of satisfied_handling moves with it.
N_WAVES = 5

# Targets per organisation and wave (proportions). Wave 1 holds the seed's figures.
TRENDS: dict[str, dict[str, tuple[float, ...]]] = {
    # threatened, intimidated or stalked (all staff)
    "threatened": {
        "pol": (0.410, 0.414, 0.428, 0.431, 0.445),
        "om": (0.080, 0.083, 0.094, 0.096, 0.102),
    },
    # among the threatened
    "escalation": {"pol": (0.27, 0.27, 0.26, 0.265, 0.255), "om": (0.03, 0.03, 0.04, 0.035, 0.04)},
    "private_sphere": {"pol": (0.27, 0.28, 0.30, 0.31, 0.33), "om": (0.07, 0.08, 0.09, 0.10, 0.11)},
    "outside_work": {
        "pol": (0.11, 0.115, 0.125, 0.13, 0.14),
        "om": (0.14, 0.14, 0.15, 0.155, 0.16),
    },
    "no_task_impact": {"pol": (0.64, 0.63, 0.62, 0.62, 0.61), "om": (0.74, 0.74, 0.72, 0.72, 0.71)},
    "satisfied_handling": {
        "pol": (0.79, 0.785, 0.80, 0.71, 0.725),
        "om": (0.93, 0.92, 0.92, 0.86, 0.87),
    },
    # all staff
    "online": {"pol": (0.12, 0.135, 0.155, 0.175, 0.195), "om": (0.08, 0.095, 0.11, 0.125, 0.14)},
    "risk_part_of_job": {
        "pol": (0.65, 0.645, 0.64, 0.635, 0.63),
        "om": (0.30, 0.31, 0.31, 0.32, 0.33),
    },
    # among victims
    "reported_internally": {
        "pol": (0.33, 0.34, 0.36, 0.37, 0.39),
        "om": (0.42, 0.42, 0.44, 0.45, 0.46),
    },
    "aangifte": {"pol": (0.16, 0.16, 0.17, 0.17, 0.18), "om": (0.10, 0.10, 0.11, 0.11, 0.12)},
    "emotional_impact": {
        "pol": (0.28, 0.28, 0.29, 0.295, 0.30),
        "om": (0.26, 0.26, 0.27, 0.27, 0.28),
    },
    "supervisor_support": {
        "pol": (0.45, 0.46, 0.48, 0.50, 0.52),
        "om": (0.50, 0.50, 0.52, 0.53, 0.55),
    },
    "aftercare_offered": {
        "pol": (0.30, 0.31, 0.33, 0.34, 0.36),
        "om": (0.25, 0.26, 0.28, 0.29, 0.30),
    },
    "fear_private": {"pol": (0.15, 0.16, 0.175, 0.185, 0.20), "om": (0.15, 0.16, 0.17, 0.18, 0.19)},
}
# The highest-risk function group of each organisation, fixed per wave (seed: 56% / 17%).
TOP_GROUP = {"pol": "pol-basis", "om": "om-ovj"}
TOP_GROUP_RATE = {
    "pol-basis": (0.56, 0.565, 0.58, 0.583, 0.60),
    "om-ovj": (0.17, 0.175, 0.19, 0.195, 0.205),
}
# Relative risk of being threatened of the other groups (scaled to the organisation's
# target) and of the units (normalised within each function group).
GROUP_RISK = {
    "pol-wijk": 0.50,
    "pol-ops": 0.35,
    "pol-is": 0.40,
    "pol-leid": 0.38,
    "pol-ond": 0.20,
    "pol-asp": 0.45,
    "om-jur": 0.08,
    "om-ond": 0.035,
    "om-leid": 0.09,
}
UNIT_RISK = {
    "pol-ams": 1.15,
    "pol-rot": 1.12,
    "pol-dh": 1.10,
    "pol-mn": 1.0,
    "pol-nh": 0.98,
    "pol-on": 0.95,
    "pol-nn": 0.92,
    "pol-zwb": 0.97,
    "pol-ob": 0.95,
    "pol-lim": 0.93,
    "pol-le": 1.0,
    "pol-pdc": 0.9,
    "pol-overig": 0.9,
    "om-ams": 1.2,
    "om-rot": 1.15,
    "om-dh": 1.1,
    "om-lp": 1.25,
    "om-fp": 0.8,
    "om-rp": 0.9,
    "om-pg": 0.8,
    "om-overig": 0.7,
}
# Relative rates among the threatened by function group (scaled to the targets).
ESCALATION_RISK = {
    "pol-basis": 1.3,
    "pol-wijk": 1.0,
    "pol-ops": 0.8,
    "pol-is": 0.7,
    "pol-leid": 0.9,
    "pol-ond": 0.5,
    "pol-asp": 1.1,
}
PRIVATE_RISK = {
    "pol-wijk": 1.5,
    "pol-ops": 1.1,
    "pol-is": 0.8,
    "pol-leid": 0.9,
    "pol-ond": 0.8,
    "pol-asp": 0.8,
    "om-ovj": 1.4,
    "om-jur": 0.8,
    "om-ond": 0.7,
    "om-leid": 1.0,
}

# P(form | threatened), P(form | not threatened) at average exposure, per organisation.
OTHER_FORMS = {
    "verbal": {"pol": (0.88, 0.45), "om": (0.80, 0.15)},
    "physical": {"pol": (0.22, 0.07), "om": (0.03, 0.004)},
    "sexual": {"pol": (0.07, 0.02), "om": (0.04, 0.008)},
    "discrimination": {"pol": (0.20, 0.07), "om": (0.10, 0.02)},
    "property": {"pol": (0.08, 0.015), "om": (0.04, 0.003)},
}
SEVERITY = {
    "verbal": 1.0,
    "threat": 3.0,
    "intimidation": 2.0,
    "stalking": 4.0,
    "physical": 5.0,
    "sexual": 4.0,
    "discrimination": 1.5,
    "property": 2.5,
    "online": 1.5,
}
EMOTIONAL_RISK = {
    "verbal": 0.5,
    "threat": 1.1,
    "intimidation": 1.0,
    "stalking": 1.7,
    "physical": 1.3,
    "sexual": 1.6,
    "discrimination": 0.9,
    "property": 1.0,
    "online": 1.0,
    "rather_not_say": 1.0,
}
COMMENTS = (
    "Mijn leidinggevende belde dezelfde avond nog. Dat waardeerde ik.",
    "Het hoort erbij, zeggen ze, maar het blijft hangen.",
    "De aangifte is onder nummer gedaan, dat gaf rust.",
    "Ik heb nooit meer iets gehoord over de afhandeling.",
    "Collega's vingen mij goed op; van de organisatie merkte ik weinig.",
    "Het online gedoe is erger dan de straat: het gaat door tot thuis.",
    "Nazorg werd aangeboden maar ik had er op dat moment geen behoefte aan.",
    "Ik zou willen dat melden minder tijd kostte.",
)


class GeneratorError(RuntimeError):
    """The generator and the questionnaire do not fit together (a bug, never data)."""


# --- drawing ----------------------------------------------------------------------------


class _Sample:
    """The respondents of one wave as columns, and the draws on them."""

    def __init__(self, cells: Sequence[Cell], counts: np.ndarray, rng: np.random.Generator):
        self.rng = rng
        self.cell = np.repeat(np.arange(len(cells)), counts)
        self.n = self.cell.size
        headcount = np.array([c.headcount for c in cells], dtype=float)
        cell_org = np.array([c.organisation for c in cells], dtype=object)
        cell_unit = np.array([c.unit for c in cells], dtype=object)
        cell_group = np.array([c.function_group for c in cells], dtype=object)
        self.org = cell_org[self.cell]
        self.unit = cell_unit[self.cell]
        self.group = cell_group[self.cell]
        self.pol = self.org == "pol"
        self.weight = (headcount / np.maximum(counts, 1))[self.cell]
        _, self.group_id = np.unique(self.group.astype(str), return_inverse=True)
        self.org_id = (~self.pol).astype(int)

    def by_org(self, values: dict[str, float]) -> np.ndarray:
        return np.where(self.pol, values["pol"], values["om"])

    def uniform(self) -> np.ndarray:
        return self.rng.random(self.n)

    def chance(self, p: float | np.ndarray) -> np.ndarray:
        return self.rng.random(self.n) < p

    def balanced(self, p: np.ndarray | float, eligible: np.ndarray) -> np.ndarray:
        """True with probability p for the eligible, by systematic sampling in the order
        (organisation, function group, weight, cell, random): counts in every stretch of
        that order are within one of their expectation (see the module docstring)."""
        p = np.broadcast_to(np.asarray(p, dtype=float), (self.n,))
        chosen = np.zeros(self.n, dtype=bool)
        idx = np.flatnonzero(eligible)
        if idx.size == 0:
            return chosen
        order = idx[
            np.lexsort(
                (
                    self.rng.random(idx.size),
                    self.cell[idx],
                    self.weight[idx],
                    self.group_id[idx],
                    self.org_id[idx],
                )
            )
        ]
        cumulative = np.cumsum(np.clip(p[order], 0.0, 1.0))
        start = self.rng.random()
        hits = np.floor(cumulative + start) > np.floor(
            np.concatenate(([0.0], cumulative[:-1])) + start
        )
        chosen[order[hits]] = True
        return chosen

    def pick(self, codes: Sequence[str], probs: Sequence[float] | np.ndarray) -> np.ndarray:
        """One code per respondent; `probs` is one distribution or one row per respondent."""
        probs = np.asarray(probs, dtype=float)
        if probs.ndim == 1:
            probs = np.broadcast_to(probs, (self.n, probs.size))
        cumulative = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
        index = (cumulative[:, :-1] < self.rng.random(self.n)[:, None]).sum(axis=1)
        return np.array(codes, dtype=object)[index]

    def pick_by_org(
        self, codes: Sequence[str], pol: Sequence[float], om: Sequence[float]
    ) -> np.ndarray:
        return self.pick(codes, np.where(self.pol[:, None], np.asarray(pol), np.asarray(om)))


def _calibrated(mass: np.ndarray, relative: np.ndarray, target: float) -> np.ndarray:
    """Rates proportional to `relative` whose `mass`-weighted mean is `target` (none for
    none: a small simulated wave may have nobody of an organisation in a group)."""
    if not mass.size:
        return np.zeros(0)
    rates = target * relative / (np.sum(mass * relative) / np.sum(mass))
    if rates.max() > 0.98:  # keep it a probability; the small cells that hit this move little
        rates = np.minimum(rates, 0.98)
    return rates


def threatened_rates(cells: Sequence[Cell], wave: int) -> np.ndarray:
    """P(threatened) per cell: the top group's rate fixed, the others scaled so that the
    organisation meets its target, units spread around their group's rate."""
    headcount = np.array([c.headcount for c in cells], dtype=float)
    group = np.array([c.function_group for c in cells])
    org = np.array([c.organisation for c in cells])
    unit_risk = np.array([UNIT_RISK.get(c.unit, 1.0) for c in cells])
    group_rate = np.zeros(len(cells))
    for organisation in ("pol", "om"):
        in_org = org == organisation
        top = TOP_GROUP[organisation]
        is_top = in_org & (group == top)
        group_rate[is_top] = TOP_GROUP_RATE[top][wave]
        others = in_org & ~is_top
        relative = np.array([GROUP_RISK[g] for g in group[others]])
        needed = (
            TRENDS["threatened"][organisation][wave] * headcount[in_org].sum()
            - group_rate[is_top] @ headcount[is_top]
        )
        group_rate[others] = relative * needed / (relative @ headcount[others])
    rates = np.empty(len(cells))
    for g in np.unique(group):
        mine = group == g
        spread = unit_risk[mine] / (unit_risk[mine] @ headcount[mine] / headcount[mine].sum())
        rates[mine] = group_rate[mine] * spread
    return np.clip(rates, 0.001, 0.98)


def _among_threatened(
    s: _Sample,
    cells: Sequence[Cell],
    p_threat: np.ndarray,
    key: str,
    wave: int,
    relative: dict[str, float] | None = None,
) -> np.ndarray:
    """Per respondent: the cell's rate of `key` among the threatened, calibrated so that
    its threatened-headcount-weighted mean per organisation is the target."""
    headcount = np.array([c.headcount for c in cells], dtype=float)
    org = np.array([c.organisation for c in cells])
    rel = np.array([(relative or {}).get(c.function_group, 1.0) for c in cells])
    rates = np.empty(len(cells))
    for organisation in ("pol", "om"):
        mine = org == organisation
        rates[mine] = _calibrated(
            headcount[mine] * p_threat[mine], rel[mine], TRENDS[key][organisation][wave]
        )
    return rates[s.cell]


# --- the wave -----------------------------------------------------------------------------


def generate_wave(
    questionnaire: Questionnaire,
    cells: Sequence[Cell],
    counts: np.ndarray,
    wave: int,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """The answers of every respondent of one wave (`counts[i]` in `cells[i]`), in
    random order. `wave` is the index into TRENDS (0 = the first wave: the seed)."""
    s = _Sample(cells, counts, rng)
    n = s.n
    col: dict[str, np.ndarray] = {}

    def put(qid: str, where: np.ndarray, values: Any) -> None:
        column = col.setdefault(qid, np.full(n, None, dtype=object))
        column[where] = values if np.isscalar(values) else np.asarray(values, dtype=object)[where]

    everyone = np.ones(n, dtype=bool)

    # A background ---------------------------------------------------------------------
    put("organisation", everyone, s.org)
    put("unit", everyone, s.unit)
    put("function_group", everyone, s.group)
    aspirant = s.group == "pol-asp"
    tenure_codes = ("lt2", "2to5", "5to10", "10to20", "20plus", "rather_not_say")
    put(
        "tenure",
        everyone,
        np.where(
            aspirant,
            s.pick(tenure_codes, (0.70, 0.28, 0.0, 0.0, 0.0, 0.02)),
            s.pick(tenure_codes, (0.08, 0.15, 0.17, 0.25, 0.33, 0.02)),
        ),
    )
    age_codes = ("lt25", "25to34", "35to44", "45to54", "55plus", "rather_not_say")
    put(
        "age",
        everyone,
        np.where(
            aspirant,
            s.pick(age_codes, (0.55, 0.38, 0.05, 0.0, 0.0, 0.02)),
            s.pick(age_codes, (0.04, 0.22, 0.24, 0.24, 0.24, 0.02)),
        ),
    )
    put(
        "gender",
        everyone,
        s.pick_by_org(
            ("man", "woman", "other", "rather_not_say"),
            (0.62, 0.35, 0.005, 0.025),
            (0.35, 0.62, 0.005, 0.025),
        ),
    )

    # B screener: the threatened first -------------------------------------------------
    p_threat_cell = threatened_rates(cells, wave)
    org_target = s.by_org({o: TRENDS["threatened"][o][wave] for o in ("pol", "om")})
    exposure = p_threat_cell[s.cell] / org_target  # relative risk within the organisation
    # A few do not say for (some of) threat, intimidation and stalking: not counted either way.
    refuses = s.chance(0.008)
    threatened = s.balanced(p_threat_cell[s.cell], ~refuses)
    has = {}
    for form, share in zip(THREAT_FORMS, (0.78, 0.55, 0.09), strict=True):
        has[form] = threatened & s.chance(share)
    none_yet = threatened & ~(has["threat"] | has["intimidation"] | has["stalking"])
    fallback = s.pick(THREAT_FORMS, (0.6, 0.35, 0.05))
    for form in THREAT_FORMS:
        has[form] |= none_yet & (fallback == form)

    # Latent states of the threatened (item non-response decided first: not biased).
    escalation_dk = threatened & s.chance(0.04)
    escalated = s.balanced(
        _among_threatened(s, cells, p_threat_cell, "escalation", wave, ESCALATION_RISK),
        threatened & ~escalation_dk,
    )
    private_dk = threatened & s.chance(0.03)
    private = s.balanced(
        _among_threatened(s, cells, p_threat_cell, "private_sphere", wave, PRIVATE_RISK),
        threatened & ~private_dk,
    )
    outside_dk = threatened & s.chance(0.03)
    outside = s.balanced(
        _among_threatened(s, cells, p_threat_cell, "outside_work", wave), threatened & ~outside_dk
    )
    task_dk = threatened & s.chance(0.03)
    no_task_impact = s.balanced(
        _among_threatened(s, cells, p_threat_cell, "no_task_impact", wave), threatened & ~task_dk
    )
    satisfaction_na = threatened & s.chance(0.04)
    satisfied_threatened = s.balanced(
        _among_threatened(s, cells, p_threat_cell, "satisfied_handling", wave),
        threatened & ~satisfaction_na,
    )

    # The other forms; an escalated threat brought physical violence or damage.
    physical_from_escalation = escalated & s.chance(0.75)
    for form, form_rates in OTHER_FORMS.items():
        p_form = np.where(
            threatened,
            s.by_org({o: r[0] for o, r in form_rates.items()}),
            s.by_org({o: r[1] for o, r in form_rates.items()}) * exposure**0.8,
        )
        has[form] = s.chance(np.clip(p_form, 0, 0.95))
    has["physical"] |= physical_from_escalation
    has["property"] |= (escalated & ~physical_from_escalation) | (
        physical_from_escalation & s.chance(0.15)
    )
    online_target = s.by_org({o: TRENDS["online"][o][wave] for o in ("pol", "om")})
    online_base = online_target / (3.0 * org_target + 1 - org_target)
    has["online"] = s.chance(
        np.clip(np.where(threatened, 3.0 * online_base, online_base * exposure**0.5), 0, 0.95)
    )

    for form in FORMS:
        frequency = (
            s.pick(YES, (0.20, 0.45, 0.35)) if form == "verbal" else s.pick(YES, (0.50, 0.38, 0.12))
        )
        answer = np.where(has[form], frequency, "no").astype(object)
        if form in THREAT_FORMS:
            # refusers: "rather not say" on one or more of the three, "no" on the rest
            answer[refuses & (s.chance(0.6) | (fallback == form))] = "rather_not_say"
            answer[threatened & ~has[form] & s.chance(0.01)] = "rather_not_say"
        else:
            answer[~has[form] & s.chance(0.004)] = "rather_not_say"
            if form == "discrimination":
                answer[~has[form] & (answer == "no") & s.chance(0.01)] = "dont_know"
        put(form, everyone, answer)

    # Where it happened, for every form answered yes.
    where = ("work", "outside", "both", "dont_know")
    where_probs = {
        "verbal": (0.90, 0.02, 0.06, 0.02),
        "physical": (0.93, 0.03, 0.03, 0.01),
        "sexual": (0.85, 0.05, 0.05, 0.03, 0.02),
        "discrimination": (0.85, 0.05, 0.08, 0.02),
        "property": (0.50, 0.35, 0.12, 0.03),
        "online": (0.45, 0.30, 0.20, 0.05),
    }
    for form, probs in where_probs.items():
        codes = (*where, "rather_not_say") if len(probs) == 5 else where
        put(f"{form}_outside_work", has[form], s.pick(codes, probs))
    # Threat, intimidation, stalking: outside_work is their "outside or both" (any of them).
    n_threat_forms = sum(has[f].astype(int) for f in THREAT_FORMS)
    rank = np.floor(s.uniform() * np.maximum(n_threat_forms, 1)).astype(int)  # which one shows it
    seen = np.zeros(n, dtype=int)
    for form in THREAT_FORMS:
        is_marked = has[form] & (seen == rank)
        seen += has[form]
        answer = np.full(n, "work", dtype=object)
        # outside: one chosen follow-up says outside/both, the others mostly work
        others_outside = s.pick(where[:3], (0.80, 0.05, 0.15))
        answer[outside] = others_outside[outside]
        answer[outside & is_marked] = s.pick(("outside", "both"), (0.4, 0.6))[outside & is_marked]
        answer[outside_dk & is_marked] = "dont_know"
        put(f"{form}_outside_work", has[form], answer)

    victim = np.zeros(n, dtype=bool)
    for form in FORMS:
        victim |= has[form]

    # C the most serious incident (victims) ----------------------------------------------
    severity = np.log(np.array([SEVERITY[f] for f in FORMS]))
    score = np.where(
        np.stack([has[f] for f in FORMS], axis=1),
        severity + s.rng.gumbel(size=(n, len(FORMS))),
        -np.inf,
    )
    most_serious = np.array(FORMS, dtype=object)[np.argmax(score, axis=1)]
    most_serious[victim & s.chance(0.01)] = "rather_not_say"
    put("most_serious_form", victim, most_serious)

    where_of_most = np.full(n, "dont_know", dtype=object)
    for form in FORMS:
        mine = victim & (most_serious == form)
        where_of_most[mine] = col[f"{form}_outside_work"][mine]
    duty_codes = ("on_duty", "off_duty", "not_applicable")
    duty = s.pick(duty_codes, (0.70, 0.20, 0.10))
    duty[where_of_most == "work"] = s.pick(duty_codes, (0.95, 0.01, 0.04))[where_of_most == "work"]
    duty[where_of_most == "outside"] = s.pick(duty_codes, (0.02, 0.90, 0.08))[
        where_of_most == "outside"
    ]
    online_most = most_serious == "online"
    duty[online_most] = s.pick(duty_codes, (0.20, 0.10, 0.70))[online_most]
    put("on_duty", victim, duty)

    pol_context = (
        "arrest",
        "traffic",
        "public_order",
        "domestic",
        "desk",
        "court",
        "investigation",
        "phone_letter",
        "online",
        "private",
        "other",
        "rather_not_say",
    )
    om_context = (
        "desk",
        "court",
        "investigation",
        "meeting",
        "phone_letter",
        "online",
        "private",
        "other",
        "rather_not_say",
    )
    context = np.where(
        s.pol,
        s.pick(
            pol_context, (0.30, 0.10, 0.15, 0.15, 0.05, 0.01, 0.08, 0.03, 0.02, 0.04, 0.06, 0.01)
        ),
        s.pick(om_context, (0.15, 0.30, 0.05, 0.20, 0.15, 0.05, 0.05, 0.04, 0.01)),
    ).astype(object)
    context[online_most] = s.pick(("online", "phone_letter", "other"), (0.85, 0.11, 0.04))[
        online_most
    ]
    off = duty == "off_duty"
    context[off & ~online_most] = s.pick(("private", "other", "rather_not_say"), (0.8, 0.15, 0.05))[
        off & ~online_most
    ]
    put("context", victim, context)

    put(
        "alone",
        victim & (duty == "on_duty"),
        s.pick_by_org(
            ("alone", "colleagues", "not_applicable"), (0.20, 0.70, 0.10), (0.50, 0.30, 0.20)
        ),
    )
    put(
        "perpetrator",
        victim,
        s.pick_by_org(
            (
                "suspect",
                "relative",
                "victim_party",
                "public",
                "group",
                "unknown",
                "other",
                "rather_not_say",
            ),
            (0.45, 0.12, 0.08, 0.15, 0.08, 0.08, 0.03, 0.01),
            (0.50, 0.20, 0.15, 0.03, 0.01, 0.08, 0.02, 0.01),
        ),
    )

    escalation = np.where(escalated, "yes", "no").astype(object)
    escalation[escalation_dk] = "dont_know"
    put("escalation", threatened, escalation)

    spheres = ("home", "family", "property")
    chosen = np.stack([s.chance(p) for p in (0.6, 0.55, 0.35)], axis=1)
    first = s.pick(spheres, (0.45, 0.40, 0.15))
    for j, sphere in enumerate(spheres):
        chosen[:, j] |= first == sphere
    sphere_answer = np.full(n, None, dtype=object)
    for i in np.flatnonzero(threatened):
        if private[i]:
            sphere_answer[i] = [sphere for j, sphere in enumerate(spheres) if chosen[i, j]]
        else:
            sphere_answer[i] = ["dont_know"] if private_dk[i] else ["none"]
    put("private_sphere", threatened, sphere_answer)

    # D consequences ------------------------------------------------------------------------
    bodily = victim & np.isin(most_serious, ("physical", "sexual"))
    injury = np.where(
        most_serious == "physical",
        s.pick(("no", "minor", "treated", "rather_not_say"), (0.55, 0.30, 0.13, 0.02)),
        s.pick(("no", "minor", "treated", "rather_not_say"), (0.85, 0.07, 0.03, 0.05)),
    )
    put("injury", bodily, injury)

    emotional_dk = victim & s.chance(0.02)
    emotional_rel = _by_form(most_serious, EMOTIONAL_RISK, otherwise=1.0)
    high = _victims_rate(s, victim, "emotional_impact", wave, emotional_rel, exclude=emotional_dk)
    emotional = np.where(
        high,
        s.pick(("quite_a_lot", "very_much"), (0.7, 0.3)),
        s.pick(("not_at_all", "a_little", "moderately"), (0.35, 0.42, 0.23)),
    ).astype(object)
    emotional[emotional_dk] = "rather_not_say"
    put("emotional_impact", victim, emotional)

    absent_p = np.select(
        [bodily & (injury == "treated"), bodily & (injury == "minor"), bodily, high],
        [0.75, 0.25, 0.06, 0.12],
        default=0.02,
    )
    absent = s.chance(absent_p)
    days = np.ceil(np.exp(s.rng.normal(1.0, 1.1, n)) * np.where(injury == "treated", 2.5, 1.0))
    days = np.where(absent, np.clip(days, 1, 365), 0).astype(int)
    answers_days = victim & ~s.chance(0.04)  # optional: some skip it
    put("sick_leave_days", answers_days, np.array(days.tolist(), dtype=object))

    task = np.where(
        escalated,
        s.pick(("somewhat", "a_lot"), (0.5, 0.5)),
        s.pick(("somewhat", "a_lot"), (0.75, 0.25)),
    ).astype(object)
    task[no_task_impact] = "none"
    task[task_dk] = "dont_know"
    put("task_impact", threatened, task)

    private_impact = s.pick(
        ("none", "somewhat", "a_lot", "rather_not_say"), (0.66, 0.26, 0.06, 0.02)
    )
    hit_home = private | outside
    private_impact[hit_home] = s.pick(
        ("none", "somewhat", "a_lot", "rather_not_say"), (0.25, 0.45, 0.28, 0.02)
    )[hit_home]
    put("private_impact", victim, private_impact)

    # E reporting ----------------------------------------------------------------------------
    report_rel = _by_form(
        most_serious,
        {"verbal": 0.6, "physical": 2.0, "property": 1.6, "threat": 1.3, "stalking": 1.5,
         "sexual": 1.4},
        otherwise=1.0,
    )  # fmt: skip
    reported_rns = victim & s.chance(0.025)
    reported = _victims_rate(
        s, victim, "reported_internally", wave, report_rel, exclude=reported_rns
    )
    reported_answer = np.where(reported, "yes", "no").astype(object)
    reported_answer[reported_rns] = "rather_not_say"
    put("reported_internally", victim, reported_answer)

    aangifte_rel = _by_form(
        most_serious,
        {"verbal": 0.3, "physical": 3.0, "property": 2.5, "threat": 1.8, "stalking": 1.6,
         "sexual": 1.5},
        otherwise=0.8,
    )  # fmt: skip
    aangifte_dk = victim & s.chance(0.03)
    filed = _victims_rate(s, victim, "aangifte", wave, aangifte_rel, exclude=aangifte_dk)
    aangifte = np.where(filed, s.pick(("yes_self", "yes_employer"), (0.65, 0.35)), "no").astype(
        object
    )
    aangifte[aangifte_dk] = "dont_know"
    put("aangifte", victim, aangifte)

    not_reported = victim & (reported_answer == "no")
    reasons = (
        "not_serious",
        "little_impact",
        "part_of_job",
        "no_confidence",
        "too_much_effort",
        "fear_consequences",
        "unknown_how",
        "other",
    )
    reason_p = np.array([0.45, 0.30, 0.40, 0.20, 0.15, 0.03, 0.05, 0.05])
    reason_hits = s.rng.random((n, len(reasons))) < reason_p
    reason_first = s.pick(reasons, reason_p)
    reason_answer = np.full(n, None, dtype=object)
    reason_rns = s.chance(0.02)
    for i in np.flatnonzero(not_reported):
        if reason_rns[i]:
            reason_answer[i] = ["rather_not_say"]
        else:
            picked = [r for j, r in enumerate(reasons) if reason_hits[i, j] or r == reason_first[i]]
            reason_answer[i] = picked
    put("no_report_reasons", not_reported, reason_answer)

    # F handling ---------------------------------------------------------------------------------
    support_rel = np.where(reported, 1.6, 0.7)
    supervisor_rns = victim & s.chance(0.025)
    supported = _victims_rate(
        s, victim, "supervisor_support", wave, support_rel, exclude=supervisor_rns
    )
    supervisor = np.where(
        supported, "yes", np.where(reported, "no", s.pick(("no", "not_informed"), (0.3, 0.7)))
    ).astype(object)
    supervisor[supervisor_rns] = "rather_not_say"
    put("supervisor_support", victim, supervisor)
    put(
        "colleague_support",
        victim,
        s.pick(("yes", "no_wanted", "no_not_needed", "rather_not_say"), (0.60, 0.10, 0.28, 0.02)),
    )
    aftercare_dk = victim & s.chance(0.08)
    aftercare_rel = np.where(high | bodily, 2.0, 0.8)
    offered = _victims_rate(
        s, victim, "aftercare_offered", wave, aftercare_rel, exclude=aftercare_dk
    )
    aftercare = np.where(offered, s.pick(("yes_used", "yes_not_used"), (0.45, 0.55)), "no").astype(
        object
    )
    aftercare[aftercare_dk] = "dont_know"
    put("aftercare_offered", victim, aftercare)

    helps = ("damages", "case_manager", "legal", "security", "data_shielding", "other")
    help_hits = s.rng.random((n, len(helps))) < np.array([0.35, 0.30, 0.20, 0.10, 0.25, 0.10])
    help_kind = s.pick(
        ("none_not_needed", "none_wanted", "rather_not_say", "some"), (0.60, 0.12, 0.02, 0.26)
    )
    help_first = s.pick(helps, (0.30, 0.25, 0.15, 0.08, 0.15, 0.07))
    help_answer = np.full(n, None, dtype=object)
    for i in np.flatnonzero(victim):
        if help_kind[i] == "some":
            help_answer[i] = [
                h for j, h in enumerate(helps) if help_hits[i, j] or h == help_first[i]
            ]
        else:
            help_answer[i] = [help_kind[i]]
    put("practical_help", victim, help_answer)

    informed = victim & (reported | filed)
    put(
        "outcome_info",
        informed,
        s.pick(("yes", "partly", "no", "dont_know"), (0.35, 0.30, 0.30, 0.05)),
    )

    satisfied = satisfied_threatened.copy()
    others = victim & ~threatened
    satisfaction_na |= others & s.chance(0.05)
    satisfied |= s.balanced(np.where(s.pol, 0.82, 0.90), others & ~satisfaction_na)
    satisfaction = np.where(
        satisfied,
        s.pick(("neutral", "satisfied", "very_satisfied"), (0.35, 0.45, 0.20)),
        s.pick(("very_dissatisfied", "dissatisfied"), (0.3, 0.7)),
    ).astype(object)
    satisfaction[satisfaction_na] = "not_applicable"
    put("satisfaction", victim, satisfaction)

    comments = victim & s.chance(0.03)
    put("comment", comments, s.pick(COMMENTS, np.ones(len(COMMENTS))))

    # G perceptions (everyone) -------------------------------------------------------------------
    agree_codes = (
        "strongly_disagree",
        "disagree",
        "neutral",
        "agree",
        "strongly_agree",
        "no_opinion",
    )
    risk_dk = s.chance(0.02)
    risk_agrees = np.zeros(n, dtype=bool)
    for organisation in ("pol", "om"):
        mine = (s.org == organisation) & ~risk_dk
        p_risk = np.zeros(n)
        p_risk[mine] = _calibrated(
            s.weight[mine],
            np.clip(exposure[mine], 0.3, 3.0) ** 0.5,
            TRENDS["risk_part_of_job"][organisation][wave],
        )
        risk_agrees |= s.balanced(p_risk, mine)
    put("risk_part_of_job", everyone, _agreement(s, risk_agrees, risk_dk, agree_codes))
    equipped = s.chance(np.where(s.pol, 0.58, 0.45))
    put("well_equipped", everyone, _agreement(s, equipped, s.chance(0.03) & ~equipped, agree_codes))
    fear_dk = s.chance(0.02)
    fear = _victims_rate(
        s, victim, "fear_private", wave, np.where(hit_home, 2.5, 1.0), exclude=fear_dk
    )
    fear |= s.balanced(0.05, ~victim & ~fear_dk)
    put("fear_private", everyone, _agreement(s, fear, fear_dk, agree_codes))
    knows = s.chance(np.clip(0.62 + 0.03 * wave, 0, 0.9))
    put("knows_support", everyone, _agreement(s, knows, s.chance(0.03) & ~knows, agree_codes))

    return _rows(questionnaire, col, rng)


def _by_form(
    most_serious: Sequence[str | None], relative: Mapping[str, float], otherwise: float
) -> np.ndarray:
    """Each respondent's relative rate by the form of their most serious incident."""
    return np.array([relative.get(f, otherwise) if f else otherwise for f in most_serious])


def _victims_rate(
    s: _Sample,
    victim: np.ndarray,
    key: str,
    wave: int,
    relative: np.ndarray,
    exclude: np.ndarray,
) -> np.ndarray:
    """A yes/no state among victims: rates proportional to `relative`, weighted mean per
    organisation at the target of `key` for the wave."""
    out = np.zeros(s.n, dtype=bool)
    for organisation in ("pol", "om"):
        mine = victim & ~exclude & (s.org == organisation)
        if mine.any():
            p = np.zeros(s.n)
            p[mine] = _calibrated(s.weight[mine], relative[mine], TRENDS[key][organisation][wave])
            out |= s.balanced(p, mine)
    return out


def _agreement(
    s: _Sample, agrees: np.ndarray, no_opinion: np.ndarray, codes: Sequence[str]
) -> np.ndarray:
    """An agree scale from a yes/no state: agree or strongly agree, else one of the rest."""
    answer = np.where(
        agrees, s.pick(codes[3:5], (0.7, 0.3)), s.pick(codes[:3], (0.15, 0.40, 0.45))
    ).astype(object)
    answer[no_opinion & ~agrees] = codes[5]
    return answer


# Questions the generator answers that not every version has.
_OPTIONAL = {"knows_support"}


def _rows(
    questionnaire: Questionnaire, col: dict[str, np.ndarray], rng: np.random.Generator
) -> list[dict[str, Any]]:
    """One answers dict per respondent (hidden questions absent), in random order.

    Refuses a questionnaire with a question the generator does not answer, and answers
    to questions the questionnaire does not have: both would be a mismatch to fix here.
    """
    asked = [q.id for q in questionnaire.questions()]
    unknown = [qid for qid in asked if qid not in col]
    extra = [qid for qid in col if qid not in asked and qid not in _OPTIONAL]
    if unknown or extra:
        raise GeneratorError(
            f"the demo generator does not fit questionnaire {questionnaire.id}: "
            f"no answers for {unknown or 'none'}; answers to unknown questions {extra or 'none'}"
        )
    n = next(iter(col.values())).size
    rows: list[dict[str, Any]] = [{} for _ in range(n)]
    for qid in asked:
        for row, value in zip(rows, col[qid].tolist(), strict=True):
            if value is not None:
                row[qid] = value
    order = rng.permutation(n)
    return [rows[i] for i in order]
