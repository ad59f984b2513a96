"""Save and resume (CONTRACT section 3): a draft is readable only with the code AND the
respondent's own `resume_key`.

Both secrets go through scrypt, a memory-hard key derivation (16 MiB, tens of
milliseconds a try), into two values: the AES-256-GCM key that seals the draft, and the
draft's lookup. Neither the database, nor whoever handed out the codes, nor both together
can read a draft or find it by trying keys quickly: every guess costs a full scrypt.

A code may have several drafts, one per resume key: replacing a draft needs its key
(another key simply makes another draft), and a forgotten key only loses that draft.
Each draft also carries a tag of its code, so that submitting with the code deletes every
draft of it; a close deletes all drafts of the wave.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from app.files import seal, unseal
from app.responses.models import ResumeState
from app.waves.codes import ALPHABET, normalize

RESUME_KEY_MIN, RESUME_KEY_MAX = 8, 128
# scrypt's cost: N = 2^14 with r = 8 needs 16 MiB and about 50 ms per derivation here.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
GENERATED_GROUPS, GENERATED_GROUP_LENGTH = 5, 4  # 20 characters: about 99 bits


def new_resume_key() -> str:
    """A key the survey page offers, like `K7M2-9FHT-RW3Z-4PQX-B8NC`: easy to copy, far
    too many to guess."""
    chars = "".join(
        secrets.choice(ALPHABET) for _ in range(GENERATED_GROUPS * GENERATED_GROUP_LENGTH)
    )
    return "-".join(
        chars[i : i + GENERATED_GROUP_LENGTH] for i in range(0, len(chars), GENERATED_GROUP_LENGTH)
    )


def acceptable_resume_key(resume_key: Any) -> bool:
    return (
        isinstance(resume_key, str) and RESUME_KEY_MIN <= len(resume_key.strip()) <= RESUME_KEY_MAX
    )


@dataclass(frozen=True)
class DraftKey:
    lookup: str  # the draft's primary key
    sealing: bytes  # its AES-256-GCM key


def draft_key(wave_id: str, code: str, resume_key: str) -> DraftKey:
    material = Scrypt(
        salt=f"monitor-draft\x1f{wave_id}".encode(),
        length=64,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
    ).derive(f"{normalize(code)}\x1f{resume_key.strip()}".encode())
    return DraftKey(lookup=hashlib.sha256(material[32:]).hexdigest(), sealing=material[:32])


def code_tag(wave_id: str, code: str) -> str:
    """What a draft keeps of its code: enough to delete it when the code is spent."""
    return hashlib.sha256(
        f"monitor-draft-code\x1f{wave_id}\x1f{normalize(code)}".encode()
    ).hexdigest()


def store(
    session: Session, wave_id: str, code: str, key: DraftKey, answers: dict[str, Any]
) -> None:
    """Seal and keep the answers as the draft of this code and key, replacing its former
    version (answers already judged by the caller)."""
    plain = json.dumps(answers, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    keep(session, wave_id, code, key.lookup, seal(key.sealing, plain.encode(), wave_id.encode()))


def keep(session: Session, wave_id: str, code: str, lookup: str, sealed: bytes) -> None:
    """Keep a sealed draft under its lookup, replacing the one there; tagged with its
    code, so that spending the code deletes it."""
    session.execute(delete(ResumeState).where(ResumeState.lookup == lookup))
    session.execute(
        insert(ResumeState).values(
            lookup=lookup, wave_id=wave_id, code_tag=code_tag(wave_id, code), sealed=sealed
        )
    )


def read(session: Session, wave_id: str, key: DraftKey) -> dict[str, Any] | None:
    """The answers of the draft under this key, or None when there is none."""
    sealed = fetch(session, wave_id, key.lookup)
    if sealed is None:
        return None
    try:
        plain = unseal(key.sealing, sealed, wave_id.encode())
    except InvalidTag:  # a tampered row, or the page's draft: the page seals its own
        return None
    answers: dict[str, Any] = json.loads(plain)
    return answers


def fetch(session: Session, wave_id: str, lookup: str) -> bytes | None:
    """The sealed draft under this lookup in this wave, as it was kept."""
    state = session.get(ResumeState, lookup)
    if state is None or state.wave_id != wave_id:
        return None
    return state.sealed


def delete_for_codes(session: Session, wave_id: str, codes: list[str]) -> None:
    """Every draft of these codes: they are spent."""
    tags = [code_tag(wave_id, code) for code in codes]
    session.execute(
        delete(ResumeState)
        .where(ResumeState.code_tag.in_(tags))
        .execution_options(synchronize_session=False)
    )
