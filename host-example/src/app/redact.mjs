// The one redactor: every error message, output line and stored row passes through it. It removes the
// secrets the app was given (the Chargebee API key, also in its Basic-auth base64 form; the Customerp token)
// and credentials written into URLs (`https://user:token@host`), wherever an upstream echoes them.

/** Every form a secret may take in text: plain, URL-encoded, as Basic auth (`key:` and `key`), JSON-escaped. */
const variants = (/** @type {string} */ s) => {
  const basic = (/** @type {string} */ x) => Buffer.from(x).toString("base64");
  const forms = [s, encodeURIComponent(s), basic(`${s}:`), basic(s), JSON.stringify(s).slice(1, -1)];
  // base64 without its padding, as some servers print it
  for (const b of [basic(`${s}:`), basic(s)]) forms.push(b.replace(/=+$/, ""));
  return forms;
};

const MASK = "[redacted]";
/** @type {Set<string>} */
const secrets = new Set();
/** @type {RegExp | null} */
let pattern = null;

/** Registers a secret to be removed from everything the app prints or stores. Short values (< 4) are refused. @param {string | null | undefined} s */
export function addSecret(s) {
  if (!s || s.length < 4) return;
  for (const v of variants(s)) if (v.length >= 4) secrets.add(v);
  const escaped = [...secrets].sort((a, b) => b.length - a.length).map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  pattern = new RegExp(escaped.join("|"), "g");
}

/** `scheme://user:password@host` → `scheme://[redacted]@host` (any scheme, also inside longer text). */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]*(?::[^\s/@]*)?@/gi;
/** `Authorization: Basic …` / `Bearer …` as an upstream may echo its request headers. */
const AUTH_HEADER = /\b(authorization["']?\s*[:=]\s*["']?(?:basic|bearer)\s+)[A-Za-z0-9+/=._~-]+/gi;

/** @param {string} text @returns {string} */
export function redact(text) {
  let out = String(text);
  if (pattern) out = out.replace(pattern, MASK);
  return out.replace(URL_CREDENTIALS, `$1${MASK}@`).replace(AUTH_HEADER, `$1${MASK}`);
}

/** A deep copy of a JSON-like value with every string redacted. @template T @param {T} v @returns {T} */
export function redactValue(v) {
  if (typeof v === "string") return /** @type {T} */ (redact(v));
  if (Array.isArray(v)) return /** @type {T} */ (v.map(redactValue));
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return /** @type {T} */ (Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactValue(x)])));
  }
  return v;
}

/**
 * Passes every write to stdout and stderr through the redactor (for the commands: a message built anywhere,
 * by this app or a library, cannot print a registered secret).
 */
export function redactOutput() {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = /** @type {typeof stream.write} */ ((/** @type {any} */ chunk, /** @type {any[]} */ ...rest) =>
      write(typeof chunk === "string" ? redact(chunk) : Buffer.isBuffer(chunk) ? redact(chunk.toString("utf8")) : chunk, ...rest));
  }
}
