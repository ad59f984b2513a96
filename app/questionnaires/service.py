"""Publishing and reading questionnaire versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.problems import Conflict, NotFound
from app.questionnaires.loader import (
    canonical_json,
    content_hash,
    describe_questionnaire_changes,
    from_canonical,
)
from app.questionnaires.models import QuestionnaireVersion
from app.questionnaires.schema import Questionnaire


class PublishedVersionChanged(Conflict):
    """A published version's file was edited: versions are immutable."""


@dataclass(frozen=True)
class PublishOutcome:
    id: str
    status: str  # "published" or "unchanged"


def publish(session: Session, questionnaire: Questionnaire) -> PublishOutcome:
    """Store a new version; a no-op for an unchanged one; refuse a changed one."""
    canonical = canonical_json(questionnaire)
    digest = content_hash(canonical)
    existing = session.get(QuestionnaireVersion, questionnaire.id)
    if existing is not None:
        if existing.content_hash == digest:
            return PublishOutcome(questionnaire.id, "unchanged")
        changes = describe_questionnaire_changes(from_canonical(existing.definition), questionnaire)
        raise PublishedVersionChanged(
            f"version {questionnaire.id} is published and cannot change "
            f"(published {existing.content_hash}, file {digest}); publish the change as a "
            "new version. What differs:\n  " + "\n  ".join(changes)
        )
    session.add(
        QuestionnaireVersion(
            id=questionnaire.id,
            content_hash=digest,
            definition=canonical,
            published_at=datetime.now(UTC),
        )
    )
    session.flush()
    session.info.pop(_HASHES, None)
    return PublishOutcome(questionnaire.id, "published")


def get_version(session: Session, questionnaire_id: str) -> Questionnaire:
    """A published version, parsed once per process (versions never change, so the parsed
    value is kept by id and hash; only the hashes are read, once per unit of work)."""
    digest = version_hashes(session).get(questionnaire_id)
    if digest is None:
        raise NotFound(f"questionnaire {questionnaire_id} is not published")
    cached = _parsed.get((questionnaire_id, digest))
    if cached is None:
        definition = session.scalars(
            select(QuestionnaireVersion.definition).where(
                QuestionnaireVersion.id == questionnaire_id
            )
        ).one()
        cached = _parsed[(questionnaire_id, digest)] = from_canonical(definition)
    return cached


_parsed: dict[tuple[str, str], Questionnaire] = {}
_HASHES = "questionnaire_version_hashes"


@event.listens_for(Session, "after_transaction_end")
def _forget_version_hashes(session: Session, _transaction: object) -> None:
    session.info.pop(_HASHES, None)


def version_hashes(session: Session) -> dict[str, str]:
    """Every published version's id -> content hash, in id order: one query per
    transaction (a trend reads a version for every wave; publishing reads anew)."""
    found: dict[str, str] | None = session.info.get(_HASHES)
    if found is None:
        rows = session.execute(
            select(QuestionnaireVersion.id, QuestionnaireVersion.content_hash).order_by(
                QuestionnaireVersion.id
            )
        )
        found = session.info[_HASHES] = {id_: digest for id_, digest in rows}
    return found
