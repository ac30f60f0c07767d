// The console's door: a login token (CONSOLE_TOKEN, or one made at start and printed once), sessions in an
// HttpOnly, SameSite=Strict cookie, a CSRF token per session on every state-changing request, and no
// cross-origin request served. Sessions live in memory: a restart logs everyone out.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export const COOKIE = "cpcb_console";
const SESSION_MS = 12 * 60 * 60 * 1000;

/** Constant-time equality of two secrets (hashed first, so lengths do not leak). @param {string} a @param {string} b */
export function sameSecret(a, b) {
  return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
}

/** @param {string | undefined} header @returns {Record<string, string>} */
export function parseCookies(header) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i <= 0) continue;
    try {
      out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      // a malformed %-escape: not a cookie of ours
    }
  }
  return out;
}

export class Sessions {
  /** @param {{ token?: string | null, now?: () => number }} [o] */
  constructor(o = {}) {
    /** The login token; made here when none is configured. */
    this.token = o.token || randomBytes(24).toString("base64url");
    this.generated = !o.token;
    this.now = o.now ?? Date.now;
    /** @type {Map<string, { csrf: string, expires: number }>} */
    this.sessions = new Map();
  }

  /** A new session for a presented login token, or null. @param {string} presented */
  login(presented) {
    if (!presented || !sameSecret(presented, this.token)) return null;
    const id = randomBytes(32).toString("base64url");
    const session = { csrf: randomBytes(24).toString("base64url"), expires: this.now() + SESSION_MS };
    this.sessions.set(id, session);
    return { id, ...session };
  }

  /** The session of a request's cookie, or null. @param {import("node:http").IncomingMessage} req */
  of(req) {
    const id = parseCookies(req.headers.cookie)[COOKIE];
    const s = id ? this.sessions.get(id) : undefined;
    if (!s || !id) return null;
    if (s.expires < this.now()) {
      this.sessions.delete(id);
      return null;
    }
    return { id, ...s };
  }

  /** @param {import("node:http").IncomingMessage} req */
  logout(req) {
    const id = parseCookies(req.headers.cookie)[COOKIE];
    if (id) this.sessions.delete(id);
  }

  /** @param {string} id */
  cookie(id) {
    return `${COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_MS / 1000}`;
  }
}

/**
 * Whether a request comes from the console's own pages: an `Origin` (or, without one, a `Referer`) of
 * another site, or a browser saying `Sec-Fetch-Site: cross-site`, is refused.
 * @param {import("node:http").IncomingMessage} req @param {string} origin e.g. http://127.0.0.1:8484
 */
export function sameOrigin(req, origin) {
  const site = req.headers["sec-fetch-site"];
  if (site === "cross-site" || site === "same-site") return false;
  const from = req.headers.origin ?? (req.headers.referer ? safeOrigin(req.headers.referer) : undefined);
  return from === undefined || from === origin || from === `http://${req.headers.host}`;
}

/** @param {string} url */
const safeOrigin = (url) => {
  try {
    return new URL(url).origin;
  } catch {
    return "null";
  }
};
