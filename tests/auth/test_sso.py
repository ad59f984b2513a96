"""Intranet single sign-on: bearer JWTs checked against a JWKS file, issuer, audience and
a role claim. Keys are made here; nothing is fetched."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from jwt.algorithms import RSAAlgorithm
from pydantic import ValidationError
from sqlalchemy import select

from app.auth.dependencies import sso_actor
from app.auth.models import ACTOR_LENGTH, AuditEvent
from app.auth.sso import INVALID_TOKEN
from app.config import Settings
from app.main import create_app
from tests.builders import bearer

ISSUER = "https://sso.intranet.example/realms/justitie"
AUDIENCE = "staff-monitor"
TRENDS = "/api/v1/trends/threat"
ANALYSIS = "/api/v1/waves/2026/analysis-file"


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    return {name: rsa.generate_private_key(65537, 2048) for name in ("idp", "other", "next")}


def jwks(*entries: tuple[Any, str]) -> dict[str, Any]:
    return {
        "keys": [
            {**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, "alg": "RS256"}
            for key, kid in entries
        ]
    }


@pytest.fixture
def jwks_file(tmp_path: Path, keys) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks((keys["idp"], "idp-1"))), encoding="utf-8")
    return path


@pytest.fixture
def sso(settings: Settings, jwks_file: Path):
    configured = settings.model_copy(
        update={
            "jwks_file": jwks_file,
            "jwt_issuer": ISSUER,
            "jwt_audience": AUDIENCE,
            "jwt_role_claim": "realm_access.roles",
        }
    )
    with TestClient(create_app(configured)) as client:
        yield client


def token(key: Any, kid: str = "idp-1", alg: str = "RS256", **claims: Any) -> str:
    now = int(time.time())
    body = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "a.de.vries",
        "iat": now,
        "exp": now + 300,
        "realm_access": {"roles": ["offline_access", "analyst"]},
        **claims,
    }
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, key, algorithm=alg, headers={"kid": kid})


def auth(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def audit(factory) -> list[tuple[str, str, str]]:
    with factory() as session:
        return [
            (e.actor, e.action, e.detail)
            for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


def refused(reply, status: int, words: str) -> None:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    body = reply.json()
    assert body["status"] == status and words in body["detail"], body
    if status == 401:
        assert reply.headers["www-authenticate"] == "Bearer"


def test_a_valid_token_is_audited_with_its_subject(sso, factory, keys):
    analyst = auth(token(keys["idp"]))
    assert sso.get(TRENDS + "?by=unit", headers=analyst).status_code == 200
    refused(sso.get(ANALYSIS, headers=analyst), 403, "admin")
    admin = auth(token(keys["idp"], sub="j.jansen", realm_access={"roles": ["admin"]}))
    assert sso.get(ANALYSIS, headers=admin).status_code == 404  # allowed; no such wave
    assert audit(factory) == [
        ("sso:a.de.vries", "GET /api/v1/trends/{indicator}", f"{TRENDS}?by=unit"),
        (
            "sso:a.de.vries",
            "GET /api/v1/waves/{wave_id}/analysis-file",
            f"{ANALYSIS} (refused: admin only)",
        ),
        ("sso:j.jansen", "GET /api/v1/waves/{wave_id}/analysis-file", ANALYSIS),
    ]


@pytest.mark.parametrize(
    ("claims", "words"),
    [
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"iss": "https://sso.elsewhere.example"}, "wrong issuer"),
        ({"aud": "another-app"}, "wrong audience"),
        ({"sub": None}, "a required claim is missing"),
        ({"exp": None}, "a required claim is missing"),
        ({"nbf": int(time.time()) + 3600}, "not valid yet"),
    ],
)
def test_tokens_that_are_not_for_us_get_401(sso, factory, keys, claims, words):
    presented = token(keys["idp"], **claims)
    refused(sso.get(TRENDS, headers=auth(presented)), 401, words)
    # Recorded as a failure, with the reason and never the token (nor a part of it).
    assert audit(factory) == [
        (INVALID_TOKEN, "GET /api/v1/trends/{indicator}", f"{TRENDS} (refused: {words})")
    ]
    assert_no_trace(factory, presented)


def assert_no_trace(factory, secret: str) -> None:
    """Nothing of a presented key or token in the audit log: not it, no part, no hash."""
    digest = hashlib.sha256(secret.encode()).hexdigest()
    pieces = [piece for piece in (secret, *secret.split("."), digest, digest[:16]) if piece]
    for row in audit(factory):
        for value in row:
            assert not any(piece in value for piece in pieces), value


def test_a_bad_signature_gets_401(sso, factory, keys):
    forged = token(keys["other"])  # another key, claiming to be the provider's
    refused(sso.get(TRENDS, headers=auth(forged)), 401, "bad signature")
    unknown_kid = token(keys["other"], kid="other-1")
    refused(sso.get(TRENDS, headers=auth(unknown_kid)), 401, "unknown key id")
    header, payload, signature = token(keys["idp"]).split(".")
    tampered = json.loads(jwt.utils.base64url_decode(payload))
    tampered["realm_access"] = {"roles": ["admin"]}
    forged_payload = jwt.utils.base64url_encode(json.dumps(tampered).encode()).decode()
    refused(
        sso.get(ANALYSIS, headers=auth(f"{header}.{forged_payload}.{signature}")),
        401,
        "bad signature",
    )
    refused(sso.get(TRENDS, headers=auth("a.b.c")), 401, "malformed")
    assert [detail for actor, _, detail in audit(factory) if actor == INVALID_TOKEN] == [
        f"{TRENDS} (refused: bad signature)",
        f"{TRENDS} (refused: unknown key id)",
        f"{ANALYSIS} (refused: bad signature)",
        f"{TRENDS} (refused: malformed)",
    ]
    assert_no_trace(factory, forged)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_no_algorithm_confusion(sso, keys):
    """Neither `none` nor an HMAC keyed with the provider's public key is accepted."""
    claims = jwt.decode(token(keys["idp"]), options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": "idp-1"})
    refused(sso.get(TRENDS, headers=auth(unsigned)), 401, "not valid here")
    # PyJWT will not sign HS256 with a PEM key; such a token is made by hand.
    public_pem = (
        keys["idp"]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "idp-1"}).encode())
    body = b64(json.dumps(claims).encode())
    mac = hmac.new(public_pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    refused(sso.get(TRENDS, headers=auth(f"{head}.{body}.{b64(mac)}")), 401, "not valid here")


@pytest.mark.parametrize(
    "roles",
    [{"realm_access": {"roles": ["offline_access"]}}, {"realm_access": {"roles": "viewer"}},
     {"realm_access": None}],
)  # fmt: skip
def test_a_token_without_a_monitor_role_gets_403(sso, factory, keys, roles):
    reply = sso.get(TRENDS, headers=auth(token(keys["idp"], **roles)))
    refused(reply, 403, "no role for this monitor")
    assert audit(factory) == [
        ("sso:a.de.vries", "GET /api/v1/trends/{indicator}", f"{TRENDS} (refused: no monitor role)")
    ]


def test_long_subjects_are_never_cut_into_one_actor(sso, factory, keys):
    """Two subjects that differ only after the 64th character were once logged as one."""
    common = "uid=" + "x" * 70
    for subject in (common + "-anna", common + "-bert"):
        assert sso.get(TRENDS, headers=auth(token(keys["idp"], sub=subject))).status_code == 200
    actors = [actor for actor, _, _ in audit(factory)]
    assert actors == [f"sso:{common}-anna", f"sso:{common}-bert"]  # whole, as they fit


@pytest.mark.parametrize(
    "subjects",
    [
        ("y" * 400 + "1", "y" * 400 + "2"),  # longer than the column: a digest tells them apart
        ("a~b", "a~c"),  # "~" marks a digest: a subject with one is digested too
        ("tab\there", "tab\\there"),  # a control character and its escaped spelling
    ],
)
def test_subjects_too_long_or_odd_are_digested_unambiguously(subjects):
    actors = [sso_actor(subject) for subject in subjects]
    assert actors[0] != actors[1]
    assert actors == [sso_actor(subject) for subject in subjects]  # stable
    for subject, actor in zip(subjects, actors, strict=True):
        assert len(actor) <= ACTOR_LENGTH and actor.isprintable()
        assert actor.startswith("sso:")
        if "~" in actor:
            assert actor.rsplit("~", 1)[1] == hashlib.sha256(subject.encode()).hexdigest()
        else:
            assert actor == f"sso:{subject}"
    assert "~" in actors[0]  # the first of each pair is digested
    # No subject kept whole can be mistaken for a digested one.
    assert sso_actor("plain") == "sso:plain"
    assert sso_actor(actors[0][len("sso:") :]) != actors[0]


def test_roles_from_a_plain_claim(settings, jwks_file, keys):
    configured = settings.model_copy(
        update={"jwks_file": jwks_file, "jwt_issuer": ISSUER, "jwt_audience": AUDIENCE}
    )
    with TestClient(create_app(configured)) as client:
        admin = auth(token(keys["idp"], role="admin"))
        assert client.get(ANALYSIS, headers=admin).status_code == 404
        refused(client.get(TRENDS, headers=auth(token(keys["idp"]))), 403, "no role")


def test_api_keys_keep_working_and_tokens_need_sso(sso, client, factory, keys):
    key = bearer(factory, "analyst", "script")
    assert sso.get(TRENDS, headers=key).status_code == 200
    # Without single sign-on configured, a token is just a key nobody issued.
    refused(client.get(TRENDS, headers=auth(token(keys["idp"]))), 401, "API key is not valid")


def test_rotated_keys_are_read_again(sso, jwks_file, keys):
    assert sso.get(TRENDS, headers=auth(token(keys["idp"]))).status_code == 200
    jwks_file.write_text(json.dumps(jwks((keys["next"], "idp-2"))), encoding="utf-8")
    assert sso.get(TRENDS, headers=auth(token(keys["next"], kid="idp-2"))).status_code == 200
    refused(sso.get(TRENDS, headers=auth(token(keys["idp"]))), 401, "unknown key id")


def test_a_broken_key_file_is_a_503_not_a_pass(sso, jwks_file, keys):
    jwks_file.write_text("{not json", encoding="utf-8")
    reply = sso.get(TRENDS, headers=auth(token(keys["idp"])))
    assert reply.status_code == 503 and "JWKS" in reply.json()["detail"]
    jwks_file.unlink()
    assert sso.get(TRENDS, headers=auth(token(keys["idp"]))).status_code == 503


def test_sso_needs_issuer_and_audience(tmp_path):
    with pytest.raises(ValidationError, match="MONITOR_JWT_ISSUER"):
        Settings(jwks_file=tmp_path / "jwks.json", jwt_audience=AUDIENCE)
    with pytest.raises(ValidationError, match="MONITOR_JWT_AUDIENCE"):
        Settings(jwks_file=tmp_path / "jwks.json", jwt_issuer=ISSUER)
