"""The survey page's blind signatures (app/web/static/blindrsa.js) in Chromium: RFC 9474's
test vectors, and tokens that pass between the page and the server's Python both ways."""

from __future__ import annotations

import os
from typing import Any

import pytest

from app.waves import blindrsa
from app.web.assets import asset
from tests.waves import blind_client
from tests.waves.test_blindrsa import VECTORS, key_of

pytestmark = pytest.mark.browser

# Runs in the page: the module imported from where the survey page imports it.
IMPORT = "const rsa = await import(args.module);"
HEX = """
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const bytes = (h) => Uint8Array.from(h.match(/../g) || [], (x) => parseInt(x, 16));
"""


def served(public: Any) -> dict[str, str]:
    """The key as GET /api/v1/waves/{id}/token-key serves it."""
    numbers = public.public_numbers()
    return {
        "alg": "RSABSSA-SHA384-PSS-Randomized",
        "n": blindrsa.to_b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        "e": blindrsa.to_b64(numbers.e.to_bytes(3, "big")),
    }


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context()
    page = context.new_page()
    page.goto(live_server + "/")
    yield page
    context.close()


def run(page: Any, body: str, **args: Any) -> Any:
    return page.evaluate(
        f"async (args) => {{ {IMPORT} {HEX} {body} }}", {"module": asset("blindrsa.js"), **args}
    )


@pytest.mark.parametrize("v", VECTORS, ids=[v["name"] for v in VECTORS])
def test_the_page_reproduces_the_rfc_vectors(page, v):
    key = key_of(v)
    got = run(
        page,
        """
        const key = rsa.publicKey(args.key);
        const prepared = rsa.prepare(bytes(args.msg), bytes(args.prefix));
        const r = BigInt("0x" + args.r);
        const { blindedMsg, inv } = await rsa.blind(key, prepared, { salt: bytes(args.salt), r });
        const sig = await rsa.finalize(key, prepared, bytes(args.blindSig), inv);
        return { prepared: hex(prepared), blinded: hex(blindedMsg), inv: inv.toString(16),
                 sig: hex(sig), verifies: await rsa.verify(key, prepared, sig) };
        """,
        key=served(key.public_key()),
        msg=v["msg"],
        prefix=v["msg_prefix"],
        salt=v["salt"],
        r=format(pow(int(v["inv"], 16), -1, key.public_key().public_numbers().n), "x"),
        blindSig=v["blind_sig"],
    )
    assert got["prepared"] == v["input_msg"]
    assert got["blinded"] == v["blinded_msg"]
    assert int(got["inv"], 16) == int(v["inv"], 16)
    assert got["sig"] == v["sig"]
    assert got["verifies"] is True


def test_the_page_refuses_a_signature_that_does_not_verify(page):
    v = VECTORS[0]
    key = key_of(v)
    bad = bytes.fromhex(v["blind_sig"])
    bad = bad[:-1] + bytes([bad[-1] ^ 1])
    error = run(
        page,
        """
        const key = rsa.publicKey(args.key);
        const prepared = rsa.prepare(bytes(args.msg));
        const { inv } = await rsa.blind(key, prepared);
        try { await rsa.finalize(key, prepared, bytes(args.blindSig), inv); return null; }
        catch (e) { return e.message; }
        """,
        key=served(key.public_key()),
        msg=v["msg"],
        blindSig=bad.hex(),
    )
    assert error == "invalid signature"


def test_page_blinded_python_signed_page_finalized_python_verified(page):
    key = blindrsa.new_key()
    blinded = run(
        page,
        """
        const key = rsa.publicKey(args.key);
        const prepared = rsa.prepare(crypto.getRandomValues(new Uint8Array(32)));
        const { blindedMsg, inv } = await rsa.blind(key, prepared);
        window.pending = { key, prepared, inv };
        return rsa.toB64(blindedMsg);
        """,
        key=served(key.public_key()),
    )
    blind_sig = blindrsa.blind_sign(key, blindrsa.from_b64(blinded))
    token = run(
        page,
        """
        const { key, prepared, inv } = window.pending;
        const sig = await rsa.finalize(key, prepared, rsa.fromB64(args.blindSig), inv);
        return { msg: rsa.toB64(prepared), sig: rsa.toB64(sig) };
        """,
        blindSig=blindrsa.to_b64(blind_sig),
    )
    msg, sig = blindrsa.from_b64(token["msg"]), blindrsa.from_b64(token["sig"])
    assert len(msg) == 64
    assert blindrsa.verify(key.public_key(), msg, sig)
    assert not blindrsa.verify(key.public_key(), msg[:-1] + b"\x00", sig)


def test_python_blinded_and_signed_page_finalized_and_verified(page):
    key = blindrsa.new_key()
    prepared = blind_client.prepare(os.urandom(32))
    blinded = blind_client.blind(key.public_key(), prepared)
    blind_sig = blindrsa.blind_sign(key, blinded.blinded_msg)
    got = run(
        page,
        """
        const key = rsa.publicKey(args.key);
        const prepared = rsa.fromB64(args.prepared);
        const sig = await rsa.finalize(key, prepared, rsa.fromB64(args.blindSig),
                                       BigInt("0x" + args.inv));
        const other = prepared.slice(); other[0] ^= 1;
        return { sig: rsa.toB64(sig), verifies: await rsa.verify(key, prepared, sig),
                 otherVerifies: await rsa.verify(key, other, sig) };
        """,
        key=served(key.public_key()),
        prepared=blindrsa.to_b64(prepared),
        blindSig=blindrsa.to_b64(blind_sig),
        inv=format(blinded.inv, "x"),
    )
    assert got["verifies"] is True and got["otherVerifies"] is False
    # The same signature as Python's own finalize makes, which the server accepts.
    sig = blind_client.finalize(key.public_key(), prepared, blind_sig, blinded.inv)
    assert blindrsa.from_b64(got["sig"]) == sig
