"""Responses as stored: every answer coded as a small number (`coded`), free text apart.

A response's `coded` value is one fixed-size record of its questionnaire version: a
format byte, then per question, in question order, the field its kind defines
(`code_dtype`: an option's position, a bit per option, an integer's offset from its
minimum, whether a text was given), all zero bytes where there is no answer. A wave's
responses then load into columns with one `numpy.frombuffer` of their records joined,
without a text to parse per response; closing a million costs about reading them once.
The words of free-text answers are kept apart as JSON (`free_text`, NULL without any):
they never enter a statistic, and only their presence is coded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from app.questionnaires.schema import Questionnaire

FORMAT = 1  # the first byte of every record; another layout would get another number


def layout(questionnaire: Questionnaire) -> np.dtype:
    """The record of a response to this version (packed, little-endian)."""
    return np.dtype(
        [("format", "u1")] + [(q.id, q.code_dtype()) for q in questionnaire.questions()]
    )


def encode(
    questionnaire: Questionnaire, responses: Sequence[Mapping[str, Any]]
) -> list[tuple[bytes, str | None]]:
    """Valid answers, as validation keeps them, as (coded, free_text) per response:
    coded one question at a time, over all responses at once."""
    records = np.zeros(len(responses), layout(questionnaire))
    records["format"] = FORMAT
    texts = []
    for question in questionnaire.questions():
        records[question.id] = question.encode([r.get(question.id) for r in responses])
        if question.free_text:
            texts.append(question.id)
    raw, size = records.tobytes(), records.dtype.itemsize
    return [
        (raw[k * size : (k + 1) * size], _free_text(response, texts))
        for k, response in enumerate(responses)
    ]


def _free_text(response: Mapping[str, Any], questions: list[str]) -> str | None:
    given = {q: response[q] for q in questions if response.get(q) is not None}
    return json.dumps(given, ensure_ascii=False, sort_keys=True) if given else None


class UnknownFormat(ValueError):
    """Records that are not of this version's layout (another format, or cut short)."""


def records(questionnaire: Questionnaire, coded: Iterable[bytes]) -> np.ndarray:
    """The stored records as one structured array: a field (column) per question."""
    dtype = layout(questionnaire)
    joined = b"".join(coded)
    if len(joined) % dtype.itemsize:
        raise UnknownFormat(f"coded responses are not records of {questionnaire.id}")
    array = np.frombuffer(joined, dtype)
    if array.size and not (array["format"] == FORMAT).all():
        raise UnknownFormat(f"coded responses of {questionnaire.id} in an unknown format")
    return array


def decode(
    questionnaire: Questionnaire, stored: Iterable[tuple[bytes, str | None]]
) -> list[dict[str, Any]]:
    """The answers of stored responses, as validation kept them (a multi answer's codes
    in option order): for exports of single responses and for checks, not for a wave."""
    rows = list(stored)
    array = records(questionnaire, (coded for coded, _ in rows))
    answers: list[dict[str, Any]] = [{} for _ in rows]
    for question in questionnaire.questions():
        if question.free_text:
            continue
        distinct, index = question.decode(array[question.id])
        for row, k in zip(answers, index.tolist(), strict=True):
            if distinct[k] is not None:
                row[question.id] = list(distinct[k]) if question.answer_is_set else distinct[k]
    for row, (_, text) in zip(answers, rows, strict=True):
        row.update(json.loads(text) if text else {})
    return answers
