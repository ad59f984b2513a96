"""RFC 9474's test vectors (Appendix A: RSABSSA-SHA384-PSS-Randomized and -Deterministic,
which share the blind signing and differ only in the message's prefix) through the
signer's half in app/waves/blindrsa.py and the client's half of the tests.

The vectors (tests/waves/rfc9474_vectors.json) are the RFC's, as cloudflare/blindrsa-ts
keeps them in JSON (test/testdata/test_vectors_rfc9474.json, commit 18e941f)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from app.waves import blindrsa
from tests.waves import blind_client

VECTORS = json.loads((Path(__file__).parent / "rfc9474_vectors.json").read_text())


def number(text: str) -> int:
    return int(text, 16)


def key_of(v: dict[str, str]) -> rsa.RSAPrivateKey:
    p, q, d, e, n = (number(v[x]) for x in ("p", "q", "d", "e", "n"))
    public = rsa.RSAPublicNumbers(e, n)
    return rsa.RSAPrivateNumbers(
        p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q), public
    ).private_key()


@pytest.mark.parametrize("v", VECTORS, ids=[v["name"] for v in VECTORS])
def test_the_rfc_vectors(v):
    key = key_of(v)
    public = key.public_key()
    prepared = blind_client.prepare(bytes.fromhex(v["msg"]), bytes.fromhex(v["msg_prefix"]))
    assert prepared.hex() == v["input_msg"]
    inv = number(v["inv"])
    r = pow(inv, -1, public.public_numbers().n)
    blinded = blind_client.blind(public, prepared, bytes.fromhex(v["salt"]), r)
    assert blinded.blinded_msg.hex() == v["blinded_msg"]
    assert blinded.inv == inv
    blind_sig = blindrsa.blind_sign(key, blinded.blinded_msg)
    assert blind_sig.hex() == v["blind_sig"]
    sig = blind_client.finalize(public, prepared, blind_sig, inv)
    assert sig.hex() == v["sig"]
    assert blindrsa.verify(public, prepared, sig)


def test_a_signature_holds_for_its_message_only():
    v = VECTORS[0]
    public = key_of(v).public_key()
    prepared, sig = bytes.fromhex(v["input_msg"]), bytes.fromhex(v["sig"])
    assert blindrsa.verify(public, prepared, sig)
    assert not blindrsa.verify(public, prepared[:-1] + b"\x00", sig)
    assert not blindrsa.verify(public, prepared, sig[:-1] + bytes([sig[-1] ^ 1]))
    assert not blindrsa.verify(public, prepared, sig[1:])
    other = blindrsa.new_key().public_key()
    assert not blindrsa.verify(other, prepared, sig)


def test_the_signer_refuses_what_it_cannot_sign():
    key = key_of(VECTORS[0])
    n = key.public_key().public_numbers().n
    k = blindrsa.modulus_bytes(key.public_key())
    for bad in (b"\x01" * (k - 1), b"\x01" * (k + 1), n.to_bytes(k, "big"), b"\xff" * k):
        with pytest.raises(blindrsa.BadMessage):
            blindrsa.blind_sign(key, bad)


def test_a_fresh_key_signs_blindly_and_the_signature_verifies():
    key = blindrsa.new_key()
    assert key.key_size == blindrsa.KEY_BITS
    prepared = blind_client.prepare(b"a staff member's message")
    first = blind_client.blind(key.public_key(), prepared)
    second = blind_client.blind(key.public_key(), prepared)
    assert first.blinded_msg != second.blinded_msg  # the signer sees nothing to compare
    sig = blind_client.finalize(
        key.public_key(), prepared, blindrsa.blind_sign(key, first.blinded_msg), first.inv
    )
    assert blindrsa.verify(key.public_key(), prepared, sig)


def test_base64url_without_padding_only():
    assert blindrsa.from_b64(blindrsa.to_b64(b"\xfb\xff\x00")) == b"\xfb\xff\x00"
    assert blindrsa.to_b64(b"\xfb\xff") == "-_8"
    for bad in ("-_8=", "+/8", "a", "ab c", "é"):
        with pytest.raises(ValueError):
            blindrsa.from_b64(bad)
