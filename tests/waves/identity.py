"""A stand-in for the intranet's identity provider: a key pair made here, its JWKS file,
and the JWTs it would hand a signed-in staff member. Nothing is fetched."""

from __future__ import annotations

import json
import time
from functools import cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from app.config import Settings

ISSUER = "https://sso.intranet.example/realms/politie"
AUDIENCE = "staff-monitor"


@cache
def provider_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(65537, 2048)


def with_sign_in(settings: Settings, folder: Path) -> Settings:
    """The settings with single sign-on by this provider, and a token secret in `folder`."""
    jwks = folder / "jwks.json"
    public = RSAAlgorithm.to_jwk(provider_key().public_key(), as_dict=True)
    jwks.write_text(json.dumps({"keys": [{**public, "kid": "idp-1", "alg": "RS256"}]}))
    return settings.model_copy(
        update={
            "jwks_file": jwks,
            "jwt_issuer": ISSUER,
            "jwt_audience": AUDIENCE,
            "jwt_staff_claim": "employee.type",
            "jwt_staff_value": "staff",
            "token_secret_file": folder / "token.key",
        }
    )


def sign_in(subject: str, staff: bool = True, **claims: Any) -> str:
    """The JWT of a signed-in member of staff (or of someone who is not staff)."""
    now = int(time.time())
    body = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject,
        "iat": now,
        "exp": now + 300,
        "employee": {"type": "staff" if staff else "contractor"},
        **claims,
    }
    return jwt.encode(body, provider_key(), algorithm="RS256", headers={"kid": "idp-1"})


def bearer(subject: str, staff: bool = True) -> dict[str, str]:
    return {"Authorization": f"Bearer {sign_in(subject, staff)}"}
