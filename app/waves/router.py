from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel

from app.dependencies import SessionDep, TodayDep, TransactionalRoute
from app.waves.service import open_waves

router = APIRouter(prefix="/api/v1/waves", tags=["waves"], route_class=TransactionalRoute)


class OpenWave(BaseModel):
    id: str
    title: str
    questionnaire_id: str
    opens_at: date
    closes_at: date


@router.get("/open")
def list_open_waves(session: SessionDep, today: TodayDep) -> list[OpenWave]:
    """The waves that accept responses today."""
    return [OpenWave.model_validate(w, from_attributes=True) for w in open_waves(session, today)]
