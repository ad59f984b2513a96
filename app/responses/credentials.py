"""The two ways into a wave's survey: an invitation code, or a blind-signed token
(app/waves/tokens.py). Both are checked, spent and refused alike: a bad, foreign or spent
one of either kind gets the same 403, and a draft is derived from either as from a code.

A code is spent by deleting its hash row, so that a spent code looks like one never
issued. A token cannot be: the server does not know a token before it is used, so using
it stores the hash of its message, which the close deletes with the wave's key.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.waves import blindrsa, tokens
from app.waves.codes import code_hash, normalize
from app.waves.models import InvitationCode, Wave
from app.waves.token_keys import public_key


@dataclass(frozen=True)
class Token:
    msg: bytes  # the prepared message: 32 random bytes, then the client's message
    sig: bytes

    @classmethod
    def parse(cls, msg: str, sig: str) -> Token:
        """From base64url; a token that cannot be read is one that never verifies."""
        try:
            return cls(blindrsa.from_b64(msg), blindrsa.from_b64(sig))
        except ValueError:
            return cls(b"", b"")


Credential = str | Token  # a code as typed, or a token

# A credential as it is found and spent: ("code", hash of the code) or ("token", hash of
# its message).
Key = tuple[str, str]


def key_of(credential: Credential) -> Key:
    if isinstance(credential, Token):
        return ("token", tokens.spent_hash(credential.msg))
    return ("code", code_hash(credential))


def secret_of(credential: Credential) -> str:
    """What the respondent's drafts are derived from, as a code would be: never stored
    (a token's message is known only by its hash once spent)."""
    if isinstance(credential, Token):
        return "TOKEN" + credential.msg.hex().upper()
    return normalize(credential)


def usable(session: Session, wave: Wave, credentials: Sequence[Credential]) -> set[Key]:
    """The keys of those credentials that are unspent ones of this wave: its codes, and
    tokens signed with its key that have not been used."""
    codes = {key_of(c)[1] for c in credentials if not isinstance(c, Token)}
    found: set[Key] = set()
    if codes:
        found |= {
            ("code", h)
            for h in session.scalars(
                select(InvitationCode.code_hash).where(
                    InvitationCode.code_hash.in_(codes), InvitationCode.wave_id == wave.id
                )
            )
        }
    signed = [c for c in credentials if isinstance(c, Token)]
    key = public_key(session, wave.id) if signed else None
    if key is not None:
        valid = {tokens.spent_hash(t.msg) for t in signed if blindrsa.verify(key, t.msg, t.sig)}
        found |= {("token", h) for h in tokens.unspent(session, wave.id, valid)}
    return found


def spend(session: Session, wave: Wave, keys: Collection[Key]) -> set[Key]:
    """Spend these (usable) credentials; those this transaction really spent: of several
    attempts with one credential, whether in one batch or concurrent, one spends it."""
    codes = {h for kind, h in keys if kind == "code"}
    spent: set[Key] = set()
    # By hash alone (a hash names one code of one wave), which keeps the query planner on
    # the primary key; RETURNING tells which this transaction really spent.
    if codes:
        spent |= {
            ("code", h)
            for h in session.scalars(
                delete(InvitationCode)
                .where(InvitationCode.code_hash.in_(codes))
                .returning(InvitationCode.code_hash)
                .execution_options(synchronize_session=False)
            )
        }
    token_hashes = {h for kind, h in keys if kind == "token"}
    spent |= {("token", h) for h in tokens.spend(session, wave.id, token_hashes)}
    return spent
