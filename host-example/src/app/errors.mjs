// The errors a command ends with, each with the exit code the operator's scripts rely on (README.md):
// 0 all written, 1 some records failed, 2 usage or configuration, 3 stopped by the guard, 4 the store
// is locked by another run, 5 a system could not be reached or refused the credentials.

export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, guard: 3, locked: 4, unreachable: 5 });

/** A command that cannot start as asked: a bad option, an unknown flow, a bad configuration file. */
export class UsageError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "UsageError";
    this.exitCode = EXIT.usage;
  }
}

/** Another run holds the store's run lock. */
export class LockedError extends Error {
  /** @param {{ pid: number, host: string, started: string }} holder @param {string} db */
  constructor(holder, db) {
    super(`the store ${db} is locked by another run: pid ${holder.pid} on ${holder.host}, started ${holder.started} (wait for it, or pass --wait SECONDS)`);
    this.name = "LockedError";
    this.exitCode = EXIT.locked;
    this.holder = holder;
  }
}

/** A system could not be reached (refused, unknown host, timed out, reset on every attempt). */
export class UnreachableError extends Error {
  /** @param {string} system "Chargebee" or "Customerp" @param {string} url without credentials @param {string} cause */
  constructor(system, url, cause) {
    super(`${system} could not be reached at ${url}: ${cause}`);
    this.name = "UnreachableError";
    this.exitCode = EXIT.unreachable;
    this.system = system;
    this.url = url;
  }
}

/**
 * A write that was not answered 2xx for a reason a wait may cure: 429, 5xx, a timeout or a reset (then it
 * may have reached the server), the rate bucket empty between a check and its write, or a check too old
 * to send on. The write path (pair.mjs) waits, checks the target again and plans again; it never re-sends
 * the request as it was.
 */
export class RetryLater extends Error {
  /**
   * @param {string} system "Chargebee" or "Customerp"
   * @param {{ status: number, retryAfterMs?: number | null, maybeSent?: boolean, reason: "answer" | "network" | "rate" | "stale", message: string, error?: Error }} o
   */
  constructor(system, o) {
    super(o.message);
    this.name = "RetryLater";
    this.system = system;
    this.status = o.status;
    this.retryAfterMs = o.retryAfterMs ?? null;
    this.maybeSent = o.maybeSent ?? false;
    this.reason = o.reason;
    /** The error a run reports when it stops waiting (the ChargebeeError or CustomerpError of the answer). */
    this.error = o.error;
  }
}

/** The URL as it may be printed: no user name, password or query string (which could carry a key). @param {string} url */
export function printableUrl(url) {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    u.search = "";
    return u.toString();
  } catch {
    return "(an invalid URL)";
  }
}

/** The text of a network error's cause, e.g. "connect ECONNREFUSED 127.0.0.1:9" or "timed out after 80000 ms". @param {unknown} e */
export function networkCause(e) {
  const err = /** @type {any} */ (e);
  if (err?.name === "TimeoutError") return err.message;
  const c = err?.cause;
  if (c?.code) return `${c.code}${c.message && !String(c.message).includes(c.code) ? ` (${c.message})` : c.message ? `: ${c.message}` : ""}`;
  return err?.message ?? String(e);
}

/** Whether a network error will not go away by retrying within a run: refused, no such host. @param {unknown} e */
export function isRefusal(e) {
  const cause = /** @type {any} */ (e)?.cause;
  if (cause?.message === "bad port") return true; // a port fetch never connects to
  if (!cause && /** @type {any} */ (e)?.name === "TypeError") return true; // a request fetch cannot even make
  const code = cause?.code;
  return code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_NONAME" || code === "ERR_INVALID_URL";
}

/**
 * The exit code an error ends a command with. A 401/403 from either system is "refused the credentials" (5).
 * @param {unknown} e
 */
export function exitCodeOf(e) {
  const err = /** @type {any} */ (e);
  if (typeof err?.exitCode === "number") return err.exitCode;
  if ((err?.name === "ChargebeeError" || err?.name === "CustomerpError") && (err.status === 401 || err.status === 403)) return EXIT.unreachable;
  return EXIT.failed;
}
