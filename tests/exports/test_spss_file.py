"""The SPSS file as SPSS users expect it: answer codes numbered in the option order with
value labels, the levels of measurement set, display formats that show every value."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import yaml

from app.db import session_scope
from app.exports.spss_file import number_format
from app.questionnaires.loader import parse_questionnaire
from tests.builders import bearer
from tests.exports.readers import read_sav
from tests.support import FIXTURES, TODAY, answers, close_mini_wave, open_mini_wave, submit

SAFETY = {
    "id": "safety",
    "type": "scale",
    "required": False,
    "text": {"nl": "Hoe veilig voelt u zich op het werk?", "en": "How safe do you feel at work?"},
    # Not in alphabetical order: the numbers follow the scale, not the codes.
    "options": [
        {"code": "unsafe", "label": {"nl": "Onveilig", "en": "Unsafe"}},
        {"code": "neutral", "label": {"nl": "Neutraal", "en": "Neutral"}},
        {"code": "safe", "label": {"nl": "Veilig", "en": "Safe"}},
    ],
}


@pytest.mark.parametrize(
    ("values", "whole", "expected"),
    [
        ([0.0022, 0.31, 0.5], False, "F8.6"),  # never .00
        ([9.5e-07, 0.04], False, "F11.9"),  # three significant digits: .000000950
        ([0.0022, -0.15, np.nan], False, "F9.6"),  # a sign, and a missing value ignored
        ([1234567.25, 0.5], False, "F14.6"),
        ([2e-20, 0.5], False, "E12.2"),  # beyond SPSS's 16 decimals
        ([0.0, np.nan], False, "F8.6"),
        ([], False, "F8.6"),
        ([1, 3, 2], True, "F8.0"),
        ([123456789012.0], True, "F12.0"),
        ([-5.0], True, "F8.0"),
    ],
)
def test_number_formats_show_every_value(values, whole, expected):
    assert number_format(np.array(values, dtype=float), whole) == expected


def test_a_scale_question_is_ordinal_and_numbered_in_its_order(client, factory, tmp_path):
    data = yaml.safe_load((FIXTURES / "defs" / "mini.yaml").read_text(encoding="utf-8"))
    data["modules"][1]["questions"].insert(1, SAFETY)
    questionnaire, problems = parse_questionnaire(data, "mini.yaml")
    assert questionnaire is not None, problems
    given = ["unsafe"] * 6 + ["neutral"] * 3 + ["safe"] * 2 + [None] * 4
    wave = open_mini_wave(factory, codes=len(given), questionnaire=questionnaire)
    with session_scope(factory) as session:
        for code, safety in zip(wave.codes, given, strict=True):
            submit(session, wave.id, code, answers(safety=safety), TODAY)
        close_mini_wave(session, wave.id)
    admin = bearer(factory, "admin")
    url = f"/api/v1/waves/{wave.id}/analysis-file?format=sav"
    data, meta = read_sav(client.get(url, headers=admin).content, tmp_path)
    assert meta.variable_measure["q_safety"] == "ordinal"
    assert meta.variable_value_labels["q_safety"] == {1: "Onveilig", 2: "Neutraal", 3: "Veilig"}
    assert meta.column_names_to_labels["q_safety"] == "Hoe veilig voelt u zich op het werk?"
    numbers = Counter("missing" if np.isnan(v) else v for v in data["q_safety"])
    assert numbers == {1.0: 6, 2.0: 3, 3.0: 2, "missing": 4}
    csv = client.get(url.replace("sav", "csv"), headers=admin).text
    assert "unsafe" in csv  # the CSV keeps the codes
    english = read_sav(client.get(url + "&lang=en", headers=admin).content, tmp_path)[1]
    assert english.variable_value_labels["q_safety"] == {1: "Unsafe", 2: "Neutral", 3: "Safe"}
