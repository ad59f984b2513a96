"""Waves, their frames and codes: the lifecycle created (draft) -> open -> closed ->
published; a pilot wave stops at closed."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session

from app.problems import Code, Conflict, FieldError, InvalidInput, NotFound
from app.questionnaires.schema import Questionnaire, text_in
from app.questionnaires.service import get_version
from app.waves import answer_keys
from app.waves.codes import code_hash, new_code
from app.waves.models import FrameCell, InvitationCode, Wave
from app.waves.partitions import make_response_partition
from app.waves.token_keys import make_key

FRAME_HEADER = ["organisation", "unit", "function_group", "headcount"]
WAVE_ID_MAX = 32
TITLE_MAX = 200
# Far above any real cell (the police has about 65,000 staff in all), far below the column's limit.
HEADCOUNT_MAX = 1_000_000


def get_wave(session: Session, wave_id: str) -> Wave:
    wave = session.get(Wave, wave_id)
    if wave is None:
        raise NotFound(f"wave {wave_id} does not exist")
    return wave


def hold_wave(session: Session, wave_id: str, *, exclusive: bool) -> None:
    """Until this transaction ends: writers of responses hold a wave shared, its close
    holds it exclusively, so that a close waits for the writers before it and the writers
    after it find the wave closed. On PostgreSQL an advisory lock, which unlike a row lock
    leaves no transaction id on the wave's row; SQLite's BEGIN IMMEDIATE already
    serialises writers."""
    if session.get_bind().dialect.name != "postgresql":
        return
    lock = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    session.execute(text(f"SELECT {lock}(hashtextextended(:wave, 0))"), {"wave": wave_id})


def accepts_responses(wave: Wave, today: date) -> bool:
    return wave.status == "open" and today <= wave.closes_at


def open_waves(session: Session, today: date) -> list[Wave]:
    waves = session.scalars(select(Wave).where(Wave.status == "open").order_by(Wave.opens_at))
    return [w for w in waves if accepts_responses(w, today)]


def create_wave(
    session: Session,
    wave_id: str,
    questionnaire_id: str,
    opens: date,
    closes: date,
    title: str | None = None,
    *,
    pilot: bool = False,
    tokens: bool = False,
) -> Wave:
    """A new wave (a draft: load a frame, then open it), with the table that will take
    its responses (app.waves.partitions). A pilot runs like any wave but is never
    published and never the reference of a change. A token wave takes, besides codes,
    tokens that staff get with their intranet sign-in (app/waves/tokens.py)."""
    if not wave_id or len(wave_id) > WAVE_ID_MAX or not wave_id.replace("-", "").isalnum():
        raise InvalidInput(f"wave id '{wave_id}' must be 1-{WAVE_ID_MAX} letters, digits or dashes")
    if opens > closes:
        raise InvalidInput(f"the wave opens ({opens}) after it closes ({closes})")
    if session.get(Wave, wave_id) is not None:
        raise Conflict(f"wave {wave_id} already exists")
    questionnaire = get_version(session, questionnaire_id)
    title = title or default_title(questionnaire, wave_id)
    if not title.strip() or len(title) > TITLE_MAX:
        raise InvalidInput(f"the wave's title must be 1-{TITLE_MAX} characters")
    wave = Wave(
        id=wave_id,
        title=title,
        questionnaire_id=questionnaire_id,
        opens_at=opens,
        closes_at=closes,
        status="draft",
        pilot=pilot,
        tokens=tokens,
    )
    session.add(wave)
    session.flush()
    make_response_partition(session.connection(), wave_id)
    return wave


def default_title(questionnaire: Questionnaire, wave_id: str, lang: str = "nl") -> str:
    """The title of a wave created without one: its questionnaire's title and its id."""
    return f"{text_in(questionnaire.title, lang)} {wave_id}"


def wave_title(wave: Wave, questionnaire: Questionnaire, lang: str) -> str:
    """The wave's title in a language: the default title in that language; a title the
    operator gave (one text, in whatever language it was written) as it is."""
    if wave.title == default_title(questionnaire, wave.id):
        return default_title(questionnaire, wave.id, lang)
    return wave.title


@dataclass(frozen=True)
class FrameRow:
    organisation: str
    unit: str
    function_group: str
    headcount: int


_FRAME_CODES = {
    "unit": (Code.UNKNOWN_UNIT, Code.UNIT_ORGANISATION_MISMATCH),
    "function_group": (Code.UNKNOWN_FUNCTION_GROUP, Code.FUNCTION_GROUP_ORGANISATION_MISMATCH),
}


def _codes_of(owners: dict[str, str | None], organisation: str) -> str:
    """The codes an operator may use on a line of this organisation (all, if unknown)."""
    fitting = [code for code, owner in owners.items() if owner in (None, organisation)]
    return ", ".join(sorted(fitting or owners))


def parse_frame(text: str, questionnaire: Questionnaire) -> list[FrameRow]:
    """Check a frame CSV against the questionnaire's background codes; every bad line is
    reported (InvalidInput with one error per problem), or the rows are returned."""
    errors: list[FieldError] = []
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header] != FRAME_HEADER:
        raise InvalidInput(
            "the first line must be exactly: " + ",".join(FRAME_HEADER),
            [FieldError("line 1", *Code.BAD_HEADER.says(header=",".join(header or [])))],
        )
    organisations = questionnaire.question("organisation").option_codes()
    owners = {
        qid: {o.code: o.organisation for o in questionnaire.question(qid).choices()}
        for qid in ("unit", "function_group")
    }
    rows: list[FrameRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    for number, record in enumerate(reader, start=2):
        if not any(field.strip() for field in record):
            continue
        line = f"line {number}"
        if len(record) != len(FRAME_HEADER):
            errors.append(FieldError(line, *Code.WRONG_FIELD_COUNT.says(count=len(record))))
            continue
        organisation, unit, function_group, headcount_text = (f.strip() for f in record)
        line_errors = []
        if organisation not in organisations:
            line_errors.append(
                Code.UNKNOWN_ORGANISATION.says(
                    organisation=organisation, where="", known=", ".join(sorted(organisations))
                )
            )
        for qid, value in (("unit", unit), ("function_group", function_group)):
            unknown, mismatch = _FRAME_CODES[qid]
            if value not in owners[qid]:
                line_errors.append(
                    unknown.says(value=value, known=_codes_of(owners[qid], organisation))
                )
            elif owners[qid][value] not in (None, organisation):
                line_errors.append(mismatch.says(value=value, organisation=organisation))
        try:
            headcount = int(headcount_text)
            if not 0 < headcount <= HEADCOUNT_MAX:
                raise ValueError
        except ValueError:
            line_errors.append(
                Code.INVALID_HEADCOUNT.says(value=headcount_text, most=HEADCOUNT_MAX)
            )
            headcount = 0
        key = (organisation, unit, function_group)
        if key in seen:
            line_errors.append(Code.DUPLICATE_CELL.says(line=seen[key]))
        seen.setdefault(key, number)
        errors.extend(FieldError(line, code, message) for code, message in line_errors)
        if not line_errors:
            rows.append(FrameRow(organisation, unit, function_group, headcount))
    if errors:
        raise InvalidInput(f"the frame has {len(errors)} problem(s); nothing was loaded", errors)
    if not rows:
        raise InvalidInput("the frame has no cells; nothing was loaded")
    return rows


def load_frame(session: Session, wave_id: str, text: str) -> list[FrameRow]:
    """Replace the wave's frame; a closed wave's frame never changes."""
    wave = get_wave(session, wave_id)
    if wave.status == "closed":
        raise Conflict(f"wave {wave_id} is closed; its frame cannot change")
    rows = parse_frame(text, get_version(session, wave.questionnaire_id))
    session.execute(delete(FrameCell).where(FrameCell.wave_id == wave_id))
    session.execute(
        insert(FrameCell),
        [{"wave_id": wave_id, **row.__dict__} for row in rows],
    )
    return rows


def frame_cells(session: Session, wave_id: str) -> list[FrameRow]:
    result = session.execute(
        select(
            FrameCell.organisation, FrameCell.unit, FrameCell.function_group, FrameCell.headcount
        )
        .where(FrameCell.wave_id == wave_id)
        .order_by(FrameCell.organisation, FrameCell.unit, FrameCell.function_group)
    )
    return [FrameRow(*row) for row in result]


def frame_cell_set(session: Session, wave_id: str) -> set[tuple[str, str, str]]:
    """The wave's cells (organisation, unit, function group), for `cell in frame`."""
    result = session.execute(
        select(FrameCell.organisation, FrameCell.unit, FrameCell.function_group).where(
            FrameCell.wave_id == wave_id
        )
    )
    return {(organisation, unit, function_group) for organisation, unit, function_group in result}


def open_wave(
    session: Session,
    wave_id: str,
    today: date,
    *,
    early: bool = False,
    secret: bytes | None = None,
    token_secret: Callable[[], bytes] | None = None,
) -> Wave:
    """Start taking responses. Before the wave's opening date only with `early`: codes
    handed out in advance would work at once, which an operator preparing the wave does
    not expect. With the server's `secret`, the wave gets its answer key (app.waves.
    answer_keys), to which the survey page encrypts answers; without one (waves the demo
    opens only to close them) the survey pages send answers as plain forms. A token wave
    gets its key pair, sealed under `token_secret()`."""
    wave = get_wave(session, wave_id)
    if wave.status == "open":
        raise Conflict(f"wave {wave_id} is already open")
    if wave.status == "closed":
        raise Conflict(f"wave {wave_id} is closed; a closed wave is never opened again")
    if today > wave.closes_at:
        raise Conflict(f"wave {wave_id} closed on {wave.closes_at}; it cannot be opened")
    if not frame_cells(session, wave_id):
        raise Conflict(f"wave {wave_id} has no frame; load one with 'monitor frame load'")
    if today < wave.opens_at and not early:
        raise Conflict(
            f"wave {wave_id} opens on {wave.opens_at}, not today ({today}); opened now, its "
            "codes work at once: run 'monitor wave open' on the opening date, or add "
            "--early to open it now"
        )
    if wave.tokens:
        if token_secret is None:
            raise Conflict(f"wave {wave_id} uses tokens: opening it needs the token secret")
        make_key(session, wave, token_secret())
    wave.status = "open"
    session.flush()
    if secret is not None:
        answer_keys.make(session, wave_id, secret)
    return wave


CODES_PER_INSERT = 10_000


def issue_codes(
    session: Session,
    wave_id: str,
    count: int,
    progress: Callable[[int, int], None] | None = None,
) -> list[str]:
    """`count` new codes for the wave (only their hashes are stored), made and stored
    CODES_PER_INSERT at a time; `progress(done, count)` after each."""
    wave = get_wave(session, wave_id)
    if wave.status == "closed":
        raise Conflict(f"wave {wave_id} is closed; it takes no new codes")
    if count < 1:
        raise InvalidInput("--count must be at least 1")
    codes: list[str] = []
    while len(codes) < count:
        part = [new_code() for _ in range(min(CODES_PER_INSERT, count - len(codes)))]
        session.execute(
            insert(InvitationCode),
            [{"code_hash": code_hash(code), "wave_id": wave_id} for code in part],
        )
        codes += part
        if progress is not None:
            progress(len(codes), count)
    return codes


def publish_wave(session: Session, wave_id: str, today: date) -> tuple[Wave, bool]:
    """Make a closed wave's figures public from `today`: the wave, and whether it was
    published now (False: it already was). A pilot is never published, and a wave that
    is not closed has no figures yet."""
    wave = get_wave(session, wave_id)
    if wave.published_on is not None:
        return wave, False
    if wave.pilot:
        raise Conflict(f"wave {wave_id} is a pilot; a pilot's figures are never published")
    if wave.status != "closed":
        raise Conflict(
            f"wave {wave_id} is {wave.state}; only a closed wave can be published "
            f"('monitor wave close {wave_id}' computes its figures)"
        )
    wave.published_on = today
    session.flush()
    return wave, True


def all_waves(session: Session) -> list[Wave]:
    """Every wave in date order."""
    return list(session.scalars(select(Wave).order_by(Wave.opens_at, Wave.closes_at, Wave.id)))
