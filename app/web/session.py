"""What the browser keeps between survey pages: one cookie with the wave and the code.

The answers themselves are kept server-side only, through the save-and-resume store
(`save_progress`/`load_progress`), sealed with a key derived from the code: every page
that is sent without errors saves them, every page that is shown loads them. To find them again the
server needs the code on every request, and only the browser can hold it, because the
server must not (CONTRACT section 4). The choice is where in the browser:

- a hidden form field would put the code in the HTML of every page (view source, form
  restore, pages left open on a shared computer) and would need every link to be a
  form; plain links such as "Back" and "Change" could not carry it;
- a cookie keeps it out of the pages. This one is `HttpOnly` (no script can read it),
  `SameSite=Strict` (no other site can make the browser send it, which is also the
  pages' protection against cross-site form posts), `Path=/vragenlijst` (not sent with
  the start page, the API, the dashboard or static files), `Secure` when the request
  came over https, and a session cookie (no expiry: gone when the browser closes).
  It holds nothing about the answers, and it is removed on submission, on "Save and
  continue later", and by the quick exit.

So the cookie it is. The code is never put in a URL: it is only ever sent in the body
of the start form and in this cookie.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request, Response

from app.waves.codes import normalize

COOKIE = "survey_session"
COOKIE_PATH = "/vragenlijst"


@dataclass(frozen=True)
class Respondent:
    wave_id: str
    code: str

    @property
    def cookie_value(self) -> str:
        return f"{self.wave_id}.{normalize(self.code)}"


def respondent(request: Request) -> Respondent | None:
    """The respondent of this browser session, if there is one."""
    value = request.cookies.get(COOKIE, "")
    wave_id, _, code = value.rpartition(".")
    return Respondent(wave_id, code) if wave_id and code else None


def remember(response: Response, request: Request, who: Respondent) -> None:
    response.set_cookie(
        COOKIE,
        who.cookie_value,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def forget(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
