// RSA blind signatures (RFC 9474), RSABSSA-SHA384-PSS-Randomized: the client's half, as
// the survey page runs it (token.js). The signer's half is app/waves/blindrsa.py.
//
// Prepare: 32 random bytes, then the message. Blind: EMSA-PSS-encode the prepared message
// (SHA-384, MGF1-SHA-384, a 48-byte salt), multiply by r^e mod n for a random r. Finalize:
// divide the blind signature by r and check it as an ordinary RSASSA-PSS signature.
// Numbers are BigInt; hashing and the final check are WebCrypto's. Written for this
// project from the RFC; no third-party code.

const HASH = "SHA-384";
const HASH_BYTES = 48;
const SALT_BYTES = 48;
const PREFIX_BYTES = 32;

export function toB64(bytes) {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromB64(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new Error("not base64url without padding");
  }
  const plain = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(plain, (c) => c.charCodeAt(0));
}

function toInt(bytes) {
  let hex = "0x0";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return BigInt(hex);
}

function toBytes(number, length) {
  const hex = number.toString(16).padStart(length * 2, "0");
  if (hex.length > length * 2) throw new Error("integer too large");
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

function modPow(base, exponent, modulus) {
  let result = 1n;
  base %= modulus;
  while (exponent > 0n) {
    if (exponent & 1n) result = (result * base) % modulus;
    base = (base * base) % modulus;
    exponent >>= 1n;
  }
  return result;
}

function modInverse(a, n) {
  let [r0, r1, t0, t1] = [n, a % n, 0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  if (r0 !== 1n) throw new Error("not invertible");
  return t0 < 0n ? t0 + n : t0;
}

function gcd(a, b) {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

async function sha384(bytes) {
  return new Uint8Array(await crypto.subtle.digest(HASH, bytes));
}

async function mgf1(seed, length) {
  const blocks = [];
  for (let counter = 0; counter * HASH_BYTES < length; counter++) {
    blocks.push(await sha384(concat(seed, toBytes(BigInt(counter), 4))));
  }
  return concat(...blocks).slice(0, length);
}

async function emsaPssEncode(message, emBits, salt) {
  const emLength = Math.ceil(emBits / 8);
  const mHash = await sha384(message);
  const h = await sha384(concat(new Uint8Array(8), mHash, salt));
  const db = concat(new Uint8Array(emLength - salt.length - HASH_BYTES - 2), [1], salt);
  const mask = await mgf1(h, db.length);
  const masked = db.map((byte, i) => byte ^ mask[i]);
  masked[0] &= 0xff >> (8 * emLength - emBits);
  return concat(masked, h, [0xbc]);
}

/** The wave's public key from GET /api/v1/waves/{id}/token-key. */
export function publicKey(served) {
  if (served.alg !== "RSABSSA-SHA384-PSS-Randomized") throw new Error("unknown algorithm");
  const n = toInt(fromB64(served.n));
  return { n, e: toInt(fromB64(served.e)), bits: n.toString(2).length, served };
}

function modulusBytes(key) {
  return Math.ceil(key.bits / 8);
}

/** The prepared message: 32 random bytes (or `prefix`), then `message`. */
export function prepare(message, prefix = crypto.getRandomValues(new Uint8Array(PREFIX_BYTES))) {
  return concat(prefix, message);
}

/** RFC 9474 Blind: {blindedMsg, inv}; `salt` and `r` are random unless given (the RFC's
 * test vectors give them). */
export async function blind(key, prepared, { salt, r } = {}) {
  const encoded = await emsaPssEncode(
    prepared,
    key.bits - 1,
    salt || crypto.getRandomValues(new Uint8Array(SALT_BYTES)),
  );
  const m = toInt(encoded);
  if (gcd(m, key.n) !== 1n) throw new Error("invalid input");
  while (r === undefined || r <= 1n || gcd(r, key.n) !== 1n) {
    // 64 bits more than the modulus: the remainder is as good as uniform.
    const random = crypto.getRandomValues(new Uint8Array(modulusBytes(key) + 8));
    r = toInt(random) % key.n;
  }
  const z = (m * modPow(r, key.e, key.n)) % key.n;
  return { blindedMsg: toBytes(z, modulusBytes(key)), inv: modInverse(r, key.n) };
}

/** RSASSA-PSS verification of a prepared message's signature (WebCrypto's). */
export async function verify(key, prepared, sig) {
  const jwk = { kty: "RSA", n: key.served.n, e: key.served.e, ext: true };
  const imported = await crypto.subtle.importKey(
    "jwk",
    jwk,
    { name: "RSA-PSS", hash: HASH },
    false,
    ["verify"],
  );
  return crypto.subtle.verify({ name: "RSA-PSS", saltLength: SALT_BYTES }, imported, sig, prepared);
}

/** RFC 9474 Finalize: the signature, once it verifies; an error if it does not. */
export async function finalize(key, prepared, blindSig, inv) {
  const k = modulusBytes(key);
  if (blindSig.length !== k) throw new Error("unexpected input size");
  const sig = toBytes((toInt(blindSig) * inv) % key.n, k);
  if (!(await verify(key, prepared, sig))) throw new Error("invalid signature");
  return sig;
}
