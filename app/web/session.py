"""What the browser keeps between survey pages: one cookie, sealed by the server.

The answers themselves are kept server-side only, as the respondent's draft
(app.responses.drafts), sealed with a key derived from the code and the resume key:
every page that is sent without errors saves them, every page that is shown loads them.
To find them again the server needs the code and the resume key on every request, and
only the browser may hold them (CONTRACT section 4). The choice is where in the browser:

- a hidden form field would put the code in the HTML of every page (view source, form
  restore, pages left open on a shared computer) and would need every link to be a
  form;
- a cookie keeps it out of the pages. This one holds the wave, the code, the resume key,
  the respondent's place in the survey (`Step`) and the minute of the last activity,
  sealed with AES-256-GCM under the server's secret key (MONITOR_SECRET_KEY_FILE):
  whoever reads it on a shared computer sees random bytes, and cannot change them. It
  is `HttpOnly` (no script can read it), `SameSite=Strict` (no other site can make the
  browser send it, which is also the pages' protection against cross-site form posts),
  `Path=/vragenlijst` (not sent with the start page, the API, the dashboard or static
  files), `Secure` whenever the request came over https (directly, or through one of
  MONITOR_PROXY_ADDRESSES saying `X-Forwarded-Proto: https`), and it ends after
  MONITOR_SESSION_IDLE_MINUTES without activity: each survey page that is loaded or sent
  renews it, and a sealed minute older than that is refused. It holds none of the
  answers; the step follows from them (a page that only victims see, the questions just
  added), which is why it is sealed like the code. It is removed on "Save and continue
  later" and by the quick exit.

Sending the answers replaces it with a marker that holds only the wave and the minute
(`Sent`), no code: going Back to /vragenlijst after sending then says plainly that the
answers arrived, instead of asking for a code that is spent. The marker ends like a
session, after MONITOR_SESSION_IDLE_MINUTES (it is not renewed), and is padded like it.

The code is never put in a URL: it is only ever sent in the body of the start form and,
sealed, in this cookie. Nor is the respondent's place: every survey page has the one
address /vragenlijst, and the page it shows is the `Step` sealed here (CONTRACT section 4:
a browser history or an access log shows no module and no difference between someone who
reported an incident and someone who did not). The sealed text is padded to a fixed
length, so that the cookie's size does not vary with the step either.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import Request, Response

from app.config import Settings
from app.responses.credentials import Credential, Token
from app.waves.blindrsa import to_b64
from app.waves.codes import normalize

COOKIE = "survey_session"
COOKIE_PATH = "/vragenlijst"
_PURPOSE = b"survey-session"
_NONCE_BYTES = 12


_PADDED = 256  # the sealed text's length, in steps of this many bytes


@dataclass(frozen=True)
class Step:
    """Which survey page /vragenlijst shows: a module's, or the review (module None)."""

    module: str | None = None
    changing: bool = False  # opened from the review page: back there when it is done
    added: tuple[str, ...] = ()  # questions the page's own answers added: announced once


@dataclass(frozen=True)
class Sent:
    """This browser sent its answers to this wave a short while ago."""

    wave_id: str


SENT = "sent"  # the marker's first field (it has three; a Respondent's cookie has five)


@dataclass(frozen=True)
class Respondent:
    wave_id: str
    code: Credential  # a code, or a token where a code goes (app.responses.credentials)
    resume_key: str  # the draft's second secret (app.responses.drafts)
    step: Step = Step()

    def at(self, step: Step) -> Respondent:
        return replace(self, step=step)


def respondent(request: Request) -> Respondent | None:
    """The respondent of this browser session, if it has one that is still active; it is
    kept on the request, so that the response renews the cookie (`renew`)."""
    who = _active(request)
    if not isinstance(who, Respondent):
        return None
    request.state.respondent = who
    return who


def sent(request: Request) -> Sent | None:
    """The marker of answers this browser sent a short while ago, if it has one."""
    marker = _active(request)
    return marker if isinstance(marker, Sent) else None


def remember(response: Response, request: Request, who: Respondent) -> None:
    step = who.step
    fields = [
        who.wave_id,
        _credential_field(who.code),
        who.resume_key,
        [step.module, step.changing, list(step.added)],
    ]
    _seal(response, request, fields)


def remember_sent(response: Response, request: Request, wave_id: str) -> None:
    """After sending: the session ends, and the marker that says so takes its place."""
    _seal(response, request, [SENT, wave_id])


def _seal(response: Response, request: Request, fields: Sequence[object]) -> None:
    settings: Settings = request.app.state.settings
    plain = json.dumps([*fields, _minute()], separators=(",", ":")).encode()
    plain += b" " * (-len(plain) % _PADDED)  # JSON allows trailing white space
    nonce = os.urandom(_NONCE_BYTES)
    sealed = nonce + _cipher(request).encrypt(nonce, plain, _PURPOSE)
    response.set_cookie(
        COOKIE,
        base64.urlsafe_b64encode(sealed).decode(),
        max_age=settings.session_idle_minutes * 60,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=over_https(request),
    )


def renew(response: Response, request: Request) -> None:
    """After a survey page: the session's idle time starts again, unless the page ended
    or replaced the session itself."""
    who = getattr(request.state, "respondent", None)
    sets_cookie = any(
        name == b"set-cookie" and value.startswith(f"{COOKIE}=".encode())
        for name, value in response.raw_headers
    )
    if who is not None and not sets_cookie:
        remember(response, request, who)


def forget(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=over_https(request),
    )


def over_https(request: Request) -> bool:
    """Whether the browser reached us over https: directly, or through our own proxy."""
    if request.url.scheme == "https":
        return True
    settings: Settings = request.app.state.settings
    client = request.client.host if request.client else ""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
    return client in settings.proxy_addresses and forwarded == "https"


def _cipher(request: Request) -> AESGCM:
    return AESGCM(request.app.state.secret_key)


def _active(request: Request) -> Respondent | Sent | None:
    """What the cookie holds, unless it has been idle too long."""
    opened = _unseal(request, request.cookies.get(COOKIE, ""))
    if opened is None:
        return None
    held, active = opened
    settings: Settings = request.app.state.settings
    return None if _minute() - active > settings.session_idle_minutes else held


def _unseal(request: Request, value: str) -> tuple[Respondent | Sent, int] | None:
    try:
        sealed = base64.urlsafe_b64decode(value.encode())
        plain = _cipher(request).decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], _PURPOSE)
        fields = json.loads(plain)
        if len(fields) == 3 and fields[0] == SENT:
            _, wave_id, active = fields
            return Sent(wave_id), active
        wave_id, credential, resume_key, (module, changing, added), active = fields
        step = Step(module, bool(changing), tuple(added))
        code = credential if isinstance(credential, str) else Token.parse(*credential)
    except (ValueError, binascii.Error, InvalidTag, TypeError, IndexError):
        return None
    return Respondent(wave_id, code, resume_key, step), active


def _credential_field(credential: Credential) -> str | list[str]:
    if isinstance(credential, Token):
        return [to_b64(credential.msg), to_b64(credential.sig)]
    return normalize(credential)


def _minute() -> int:
    return int(time.time() // 60)
