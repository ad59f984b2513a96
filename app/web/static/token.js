// "Start with my police account" (Dutch: "Start met mijn politieaccount"): the staff
// member's intranet sign-in buys one token for the wave, blind-signed (blindrsa.js), so
// that the server that signed it cannot tell it again when it comes back with answers.
//
// The token is fetched as soon as the start page opens, not when the answers are sent:
// the moment a token is issued and the moment a response arrives are then far apart,
// which is all that an operator watching both could go by (README, "Tokens"). It is kept
// in this site's localStorage until it has been used (the thank-you page clears it; so
// does the quick exit), so that closing the tab does not lose it: a second one is never
// given. Without JavaScript none of this runs and the code field is the way in.

const STORE = "monitor-token:";

function say(section, key) {
  const status = section.querySelector("[data-token-status]");
  status.textContent = section.dataset[key];
  status.hidden = false;
}

async function identity(url) {
  const answer = await fetch(url, { credentials: "include", cache: "no-store" });
  if (!answer.ok) throw new Error("no sign-in");
  const text = (await answer.text()).trim();
  if (text.startsWith("{")) {
    const body = JSON.parse(text);
    return body.access_token || body.id_token || body.token;
  }
  return text;
}

async function newToken(section, rsa) {
  const wave = encodeURIComponent(section.dataset.wave);
  const served = await fetch(`/api/v1/waves/${wave}/token-key`);
  if (!served.ok) throw new Error("no key");
  const key = rsa.publicKey(await served.json());
  const jwt = await identity(section.dataset.identityUrl);
  const prepared = rsa.prepare(crypto.getRandomValues(new Uint8Array(32)));
  const { blindedMsg, inv } = await rsa.blind(key, prepared);
  const signed = await fetch(`/api/v1/waves/${wave}/tokens`, {
    method: "POST",
    headers: { Authorization: `Bearer ${jwt}`, "Content-Type": "application/json" },
    body: JSON.stringify({ blinded_msg: rsa.toB64(blindedMsg) }),
  });
  if (signed.status === 409) return "had";
  if (!signed.ok) throw new Error("not signed");
  const blindSig = rsa.fromB64((await signed.json()).blind_sig);
  const sig = await rsa.finalize(key, prepared, blindSig, inv);
  return { msg: rsa.toB64(prepared), sig: rsa.toB64(sig) };
}

async function start(section) {
  const storeKey = STORE + section.dataset.wave;
  if (section.dataset.tokenRefused !== undefined) localStorage.removeItem(storeKey);
  section.hidden = false;
  const button = section.querySelector("[data-token-button]");
  say(section, "busy");
  let token = JSON.parse(localStorage.getItem(storeKey) || "null");
  if (!token) {
    try {
      const rsa = await import(section.dataset.blindrsa);
      token = await newToken(section, rsa);
    } catch {
      say(section, "failed");
      return;
    }
    if (token === "had") {
      say(section, "had");
      return;
    }
    localStorage.setItem(storeKey, JSON.stringify(token));
  }
  say(section, "ready");
  button.disabled = false;
  button.addEventListener("click", () => {
    const form = button.form;
    form.elements.token_msg.value = token.msg;
    form.elements.token_sig.value = token.sig;
    form.elements.code.value = "";
    const wave = form.querySelector(`[name="wave"][value="${CSS.escape(section.dataset.wave)}"]`);
    if (wave) wave.checked = true;
  });
}

const section = document.querySelector("[data-token-start]");
if (section) start(section);
const spent = document.querySelector("[data-token-spent]");
if (spent) localStorage.removeItem(STORE + spent.dataset.tokenSpent);
