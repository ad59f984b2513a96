"""Every table of the application, imported in one place for Alembic."""

from app.auth.models import ApiKey, AuditEvent
from app.closing.models import Estimate
from app.db import Base
from app.questionnaires.models import QuestionnaireVersion
from app.responses.models import RespondentCount, Response, ResumeState
from app.waves.models import AnswerKey, FrameCell, InvitationCode, Wave

__all__ = [
    "AnswerKey",
    "ApiKey",
    "AuditEvent",
    "Base",
    "Estimate",
    "FrameCell",
    "InvitationCode",
    "QuestionnaireVersion",
    "RespondentCount",
    "Response",
    "ResumeState",
    "Wave",
]
