from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path

from app.dependencies import PRINTABLE, SessionDep, TransactionalRoute
from app.problems import problem_responses
from app.questionnaires.loader import localized
from app.questionnaires.service import get_version

router = APIRouter(
    prefix="/api/v1/questionnaires", tags=["questionnaires"], route_class=TransactionalRoute
)


@router.get("/{questionnaire_id}", responses=problem_responses(404, 422))
def read_questionnaire(
    questionnaire_id: Annotated[
        str, Path(pattern=PRINTABLE, description="A version id, e.g. mm-2026.1")
    ],
    session: SessionDep,
    lang: Literal["nl", "en"] = "nl",
) -> dict[str, Any]:
    """A published questionnaire version with its texts in Dutch (default) or English."""
    return localized(get_version(session, questionnaire_id), lang)
