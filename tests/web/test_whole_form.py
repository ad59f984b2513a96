"""The whole questionnaire the page script fetches (GET /vragenlijst/formulier): the same
for every respondent of a wave, in their language, and only for a wave that is open."""

from __future__ import annotations

from app.db import session_scope
from tests.support import close_mini_wave, open_mini_wave


def test_the_whole_form_is_one_for_everyone(client, factory):
    wave = open_mini_wave(factory)
    first = client.get(f"/vragenlijst/formulier?golf={wave.id}")
    assert first.status_code == 200
    assert client.get(f"/vragenlijst/formulier?golf={wave.id}").text == first.text
    for question in wave.questionnaire.questions():
        assert f'data-question="{question.id}"' in first.text
    assert 'data-show-if="{&#34;question&#34;:&#34;threat&#34;' in first.text
    english = client.get(f"/vragenlijst/formulier?golf={wave.id}&lang=en").text
    assert "Which organisation do you work for?" in english and "Part 1 of 2" in english


def test_the_whole_form_of_no_open_wave(client, factory):
    wave = open_mini_wave(factory)
    assert client.get("/vragenlijst/formulier?golf=nope").status_code == 404
    assert client.get("/vragenlijst/formulier?golf=%00").status_code == 422
    with session_scope(factory) as session:
        close_mini_wave(session, wave.id)
    assert client.get(f"/vragenlijst/formulier?golf={wave.id}").status_code == 409
