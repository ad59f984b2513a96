"""Intranet single sign-on: bearer JWTs from the intranet's identity provider.

A token is accepted when its signature verifies with a key of the configured JWKS file
(asymmetric algorithms only: never `none`, never a shared secret), it has not expired,
and its issuer and audience are the configured ones. The role is read from a claim;
a token without a monitor role is authenticated but may do nothing (403).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from app.auth.service import Refused
from app.config import Settings
from app.files import reread_on_change
from app.problems import ServiceUnavailable

ROLES = ("analyst", "admin")
# Asymmetric only: with a public key set, an HMAC "signature" would be forgeable.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]
LEEWAY_SECONDS = 30  # clocks of the provider and this server may differ a little
# The audit log's actor for a token that is not valid here: its subject cannot be trusted.
INVALID_TOKEN = "(invalid token)"  # noqa: S105 (a label, not a secret)


@dataclass(frozen=True)
class TokenIdentity:
    subject: str
    role: str | None  # "analyst", "admin", or None: no monitor role
    staff: bool  # the staff claim holds (MONITOR_JWT_STAFF_CLAIM, _VALUE): may have tokens


def looks_like_jwt(credentials: str) -> bool:
    """A JWS compact token has three dot-separated parts; API keys have no dots."""
    return credentials.count(".") == 2


def verify_token(token: str, settings: Settings) -> TokenIdentity:
    """The token's subject and monitor role, or 401 for a token that is not valid here."""
    assert settings.jwks_file is not None
    keys = _key_set(settings.jwks_file)
    try:
        header = jwt.get_unverified_header(token)
        key = _signing_key(keys, header.get("kid"))
        algorithms = [key.algorithm_name] if key.algorithm_name in ALGORITHMS else []
        claims = jwt.decode(
            token,
            key=key.key,
            algorithms=algorithms,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise Refused("the token has expired; sign in again", INVALID_TOKEN, "expired") from None
    except (jwt.InvalidTokenError, jwt.PyJWKError) as exc:
        raise _invalid(_reason(exc)) from None
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise _invalid("no subject")
    return TokenIdentity(
        subject,
        _role(claims, settings.jwt_role_claim),
        _holds(claims, settings.jwt_staff_claim, settings.jwt_staff_value),
    )


def _invalid(reason: str) -> Refused:
    return Refused(f"the token is not valid here ({reason})", INVALID_TOKEN, reason)


class _UnknownKey(jwt.InvalidTokenError):
    """The token names no key of the set (or none, where the set has several)."""


def _signing_key(keys: jwt.PyJWKSet, kid: Any) -> jwt.PyJWK:
    if kid is None and len(keys.keys) == 1:
        return keys.keys[0]
    for key in keys.keys:
        if kid is not None and key.key_id == kid:
            return key
    raise _UnknownKey


def _claim_values(claims: dict[str, Any], claim: str) -> list[Any]:
    """The values of a claim named by a dotted path (a string or a list)."""
    value: Any = claims
    for part in claim.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value if isinstance(value, list) else [value]


def _role(claims: dict[str, Any], claim: str) -> str | None:
    """The highest monitor role in the claim."""
    values = _claim_values(claims, claim)
    return next((role for role in reversed(ROLES) if role in values), None)


def _holds(claims: dict[str, Any], claim: str, wanted: str) -> bool:
    """Whether the claim holds `wanted`; a JSON `true` holds "true"."""
    return any(
        (str(value).lower() if isinstance(value, bool) else value) == wanted
        for value in _claim_values(claims, claim)
    )


def _reason(exc: Exception) -> str:
    reasons = {
        _UnknownKey: "unknown key id",
        jwt.InvalidAudienceError: "wrong audience",
        jwt.InvalidIssuerError: "wrong issuer",
        jwt.InvalidSignatureError: "bad signature",
        jwt.MissingRequiredClaimError: "a required claim is missing",
        jwt.ImmatureSignatureError: "not valid yet",
        jwt.InvalidAlgorithmError: "algorithm not allowed",
        jwt.DecodeError: "malformed",
    }
    return next((text for cls, text in reasons.items() if isinstance(exc, cls)), "rejected")


def _key_set(path: Path) -> jwt.PyJWKSet:
    try:
        return _read_key_set(path)
    except OSError:  # not there: _read_key_set turns every other OSError into its own
        raise ServiceUnavailable(f"the JWKS file {path} cannot be read") from None


@reread_on_change(maxsize=4)
def _read_key_set(path: Path) -> jwt.PyJWKSet:
    """Read again when the file changes (keys are rotated by replacing the file)."""
    try:
        return jwt.PyJWKSet.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, jwt.PyJWKError) as exc:
        raise ServiceUnavailable(
            f"the JWKS file {path} is not a usable key set ({type(exc).__name__})"
        ) from None
