"""Every table of the application, imported in one place for Alembic."""

from app.auth.models import ApiKey, AuditEvent
from app.db import Base
from app.questionnaires.models import QuestionnaireVersion
from app.responses.models import Response, ResumeState
from app.stats.models import Estimate, RespondentCount
from app.waves.models import FrameCell, InvitationCode, Wave

__all__ = [
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
