/* Sealing in the browser, with WebCrypto only (no library): what questionnaire.js sends is
 * encrypted here to the wave's answer key and padded to the wave's one size, and a draft
 * is encrypted with a key that only the respondent's code and resume key give.
 *
 * Envelope (app/waves/answer_keys.py, which opens it):
 *   RSA-OAEP-SHA256(AES key) | 12-byte IV | AES-256-GCM(JSON padded with spaces to
 *   plain_bytes), associated data "monitor-sealed" U+001F wave U+001F purpose.
 * Draft (app/responses/sealed.py, which stores it unread):
 *   PBKDF2-SHA256(normalised code U+001F resume key, salt "monitor-browser-draft" U+001F
 *   wave, the document's iterations) -> 32 bytes -> HKDF-SHA256 -> an AES-256-GCM key
 *   ("monitor-draft-key") and a lookup ("monitor-draft-lookup");
 *   the draft is IV | AES-GCM(answers padded to answers_bytes), associated data
 *   "monitor-draft" U+001F wave.
 */
(function (global) {
  "use strict";

  var subtle = global.crypto && global.crypto.subtle;
  var encoder = new TextEncoder();
  var decoder = new TextDecoder();
  var SEPARATOR = "\u001f";
  // As app/waves/codes.py ALPHABET and app/responses/drafts.py new_resume_key.
  var ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

  function b64url(bytes) {
    var text = "";
    bytes.forEach(function (byte) { text += String.fromCharCode(byte); });
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function unb64url(text) {
    var binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(binary, function (c) { return c.charCodeAt(0); });
  }

  function concat(parts) {
    var out = new Uint8Array(parts.reduce(function (n, part) { return n + part.length; }, 0));
    var at = 0;
    parts.forEach(function (part) { out.set(part, at); at += part.length; });
    return out;
  }

  /* Compact JSON followed by spaces up to `size` bytes: every respondent's the same size. */
  function padded(value, size) {
    var bytes = encoder.encode(JSON.stringify(value));
    if (bytes.length > size) {
      throw new Error("more than the wave's padded size");
    }
    var out = new Uint8Array(size).fill(0x20);
    out.set(bytes);
    return out;
  }

  function unpadded(bytes) {
    return JSON.parse(decoder.decode(bytes));
  }

  /* The `sealed` field of a body for the route of `purpose`. */
  async function seal(keyDocument, waveId, purpose, body) {
    var publicKey = await subtle.importKey(
      "spki", unb64url(keyDocument.key), { name: "RSA-OAEP", hash: "SHA-256" }, false, ["encrypt"]
    );
    var aesKey = await subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt"]);
    var wrapped = await subtle.encrypt(
      { name: "RSA-OAEP" }, publicKey, await subtle.exportKey("raw", aesKey)
    );
    var iv = global.crypto.getRandomValues(new Uint8Array(12));
    var associated = [keyDocument.associated_data, waveId, purpose].join(SEPARATOR);
    var ciphertext = await subtle.encrypt(
      { name: "AES-GCM", iv: iv, additionalData: encoder.encode(associated) },
      aesKey,
      padded(body, keyDocument.plain_bytes)
    );
    return b64url(concat([new Uint8Array(wrapped), iv, new Uint8Array(ciphertext)]));
  }

  /* What the person meant (app/waves/codes.py normalize): case, spaces and dashes do not
   * matter. */
  function normalizeCode(code) {
    return code.split(/\s+/).join("").replace(/-/g, "").toUpperCase();
  }

  /* The draft's key and lookup: the slow part (PBKDF2), once per respondent. */
  async function draftKeys(waveId, code, resumeKey, iterations) {
    var secret = await subtle.importKey(
      "raw", encoder.encode(normalizeCode(code) + SEPARATOR + resumeKey.trim()), "PBKDF2", false,
      ["deriveBits"]
    );
    var master = await subtle.deriveBits(
      {
        name: "PBKDF2",
        hash: "SHA-256",
        salt: encoder.encode("monitor-browser-draft" + SEPARATOR + waveId),
        iterations: iterations,
      },
      secret,
      256
    );
    var expandable = await subtle.importKey("raw", master, "HKDF", false, ["deriveBits", "deriveKey"]);
    function expansion(info) {
      return { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode(info) };
    }
    var key = await subtle.deriveKey(
      expansion("monitor-draft-key"), expandable, { name: "AES-GCM", length: 256 }, false,
      ["encrypt", "decrypt"]
    );
    var lookup = await subtle.deriveBits(expansion("monitor-draft-lookup"), expandable, 256);
    return { key: key, lookup: b64url(new Uint8Array(lookup)) };
  }

  function draftData(waveId) {
    return encoder.encode("monitor-draft" + SEPARATOR + waveId);
  }

  async function sealDraft(keys, waveId, answers, answersBytes) {
    var iv = global.crypto.getRandomValues(new Uint8Array(12));
    var ciphertext = await subtle.encrypt(
      { name: "AES-GCM", iv: iv, additionalData: draftData(waveId) }, keys.key,
      padded(answers, answersBytes)
    );
    return b64url(concat([iv, new Uint8Array(ciphertext)]));
  }

  async function openDraft(keys, waveId, draft) {
    var bytes = unb64url(draft);
    var plain = await subtle.decrypt(
      { name: "AES-GCM", iv: bytes.slice(0, 12), additionalData: draftData(waveId) }, keys.key,
      bytes.slice(12)
    );
    return unpadded(new Uint8Array(plain));
  }

  /* A resume key like K7M2-9FHT-RW3Z-4PQX-B8NC: 20 characters, about 99 bits. */
  function newResumeKey() {
    var chars = [];
    while (chars.length < 20) {
      global.crypto.getRandomValues(new Uint8Array(32)).forEach(function (byte) {
        // Bytes below 248 (8 x 31) give every character the same chance.
        if (byte < 248 && chars.length < 20) {
          chars.push(ALPHABET[byte % 31]);
        }
      });
    }
    return chars.join("").match(/.{4}/g).join("-");
  }

  global.MonitorSealed = {
    // WebCrypto exists only in a secure context (HTTPS, or this machine): elsewhere the
    // pages send plain forms, as without JavaScript.
    available: function () { return Boolean(subtle && global.fetch && global.TextEncoder); },
    seal: seal,
    draftKeys: draftKeys,
    sealDraft: sealDraft,
    openDraft: openDraft,
    newResumeKey: newResumeKey,
  };
})(window);
