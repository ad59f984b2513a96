from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

from app.auth.dependencies import StaffSubject
from app.config import Settings
from app.dependencies import SessionDep, TodayDep, TransactionalRoute
from app.files import secret_key
from app.problems import problem_responses
from app.waves import tokens
from app.waves.blindrsa import to_b64
from app.waves.schemas import WaveId
from app.waves.service import open_waves

router = APIRouter(prefix="/api/v1/waves", tags=["waves"], route_class=TransactionalRoute)


class OpenWave(BaseModel):
    id: str
    title: str
    questionnaire_id: str
    opens_at: date
    closes_at: date
    tokens: bool = Field(
        description="Staff may take part with a token from their intranet sign-in "
        "(`/token-key`, `/tokens`), besides codes"
    )


@router.get("/open")
def list_open_waves(session: SessionDep, today: TodayDep) -> list[OpenWave]:
    """The waves that accept responses today."""
    return [OpenWave.model_validate(w, from_attributes=True) for w in open_waves(session, today)]


class TokenKey(BaseModel):
    alg: Literal["RSABSSA-SHA384-PSS-Randomized"] = "RSABSSA-SHA384-PSS-Randomized"
    n: str = Field(description="The modulus, big-endian, base64url without padding")
    e: str = Field(description="The public exponent, big-endian, base64url without padding")


class BlindedMessage(BaseModel):
    blinded_msg: str = Field(
        max_length=4096, description="The blinded message (RFC 9474 Blind), base64url"
    )


async def blinded_message(request: Request, _signed_in: StaffSubject) -> BlindedMessage:
    """The body, read only once the sign-in has been checked: a request without one gets
    401 whatever its body holds, as every route that needs credentials does."""
    try:
        return BlindedMessage.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None


class BlindSignature(BaseModel):
    blind_sig: str = Field(description="The blind signature (RFC 9474 BlindSign), base64url")


@router.get("/{wave_id}/token-key", responses=problem_responses(404, 409))
def token_key(wave_id: WaveId, session: SessionDep, today: TodayDep) -> TokenKey:
    """The public key that signs this open wave's tokens (404 for a wave without tokens)."""
    numbers = tokens.published_key(session, wave_id, today)
    return TokenKey(n=to_b64(_big_endian(numbers.n)), e=to_b64(_big_endian(numbers.e)))


def _big_endian(number: int) -> bytes:
    return number.to_bytes((number.bit_length() + 7) // 8, "big")


@router.post(
    "/{wave_id}/tokens",
    responses=problem_responses(401, 403, 404, 409, 422, 429, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": BlindedMessage.model_json_schema()}},
        }
    },
)
def issue_token(
    wave_id: WaveId,
    subject: StaffSubject,
    body: Annotated[BlindedMessage, Depends(blinded_message)],
    request: Request,
    session: SessionDep,
    today: TodayDep,
) -> BlindSignature:
    """Sign a staff member's blinded message: one token per person and wave (a second
    request: 409). Only a keyed hash of who asked is kept; the message itself is never
    seen, so no token can be traced to whoever had it signed."""
    settings: Settings = request.app.state.settings
    secret = secret_key(settings.token_secret_file)
    return BlindSignature(
        blind_sig=tokens.issue(session, wave_id, subject, body.blinded_msg, secret, today)
    )
