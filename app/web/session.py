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
  added), which is why it is sealed like the code. It is removed on submission, on "Save
  and continue later", and by the quick exit.

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
from dataclasses import dataclass, replace

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import Request, Response

from app.config import Settings
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
class Respondent:
    wave_id: str
    code: str
    resume_key: str  # the draft's second secret (app.responses.drafts)
    step: Step = Step()

    def at(self, step: Step) -> Respondent:
        return replace(self, step=step)


def respondent(request: Request) -> Respondent | None:
    """The respondent of this browser session, if it has one that is still active; it is
    kept on the request, so that the response renews the cookie (`renew`)."""
    fields = _unseal(request, request.cookies.get(COOKIE, ""))
    if fields is None:
        return None
    who, active = fields
    settings: Settings = request.app.state.settings
    if _minute() - active > settings.session_idle_minutes:
        return None
    request.state.respondent = who
    return who


def remember(response: Response, request: Request, who: Respondent) -> None:
    settings: Settings = request.app.state.settings
    step = who.step
    fields = [
        who.wave_id,
        normalize(who.code),
        who.resume_key,
        [step.module, step.changing, list(step.added)],
        _minute(),
    ]
    plain = json.dumps(fields, separators=(",", ":")).encode()
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


def _unseal(request: Request, value: str) -> tuple[Respondent, int] | None:
    try:
        sealed = base64.urlsafe_b64decode(value.encode())
        plain = _cipher(request).decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], _PURPOSE)
        wave_id, code, resume_key, (module, changing, added), active = json.loads(plain)
        step = Step(module, bool(changing), tuple(added))
    except (ValueError, binascii.Error, InvalidTag, TypeError):
        return None
    return Respondent(wave_id, code, resume_key, step), active


def _minute() -> int:
    return int(time.time() // 60)
