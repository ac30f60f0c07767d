// The host's log. LOG_FORMAT=json: pino, one JSON object a line (time, level, msg and fields such as run,
// flow, tenant, counts), for journald, a container runtime or a log shipper. Without LOG_FORMAT: the
// lines the commands print today, as plain text. LOG_LEVEL (default info) filters both.
// Every line, in either format, is written through the app's redactor (src/app/redact.mjs) at the very
// end, after pino has serialised it: a registered secret inside a message, a field at any depth or an
// Error's message and stack never reaches the stream.
import pino from "pino";
import { UsageError } from "../app/errors.mjs";
import { redact } from "../app/redact.mjs";
import { listen } from "./listen.mjs";

export const FORMATS = /** @type {const} */ (["json", "text"]);
export const LEVELS = /** @type {const} */ (["trace", "debug", "info", "warn", "error", "fatal", "silent"]);

/** @typedef {{ write(chunk: string): unknown }} Out */
/** @typedef {Record<string, unknown>} Fields */

/**
 * @typedef {object} Logger
 * @property {boolean} json whether lines are JSON
 * @property {string} level
 * @property {(fields: Fields | Error | string, msg?: string) => void} debug
 * @property {(fields: Fields | Error | string, msg?: string) => void} info
 * @property {(fields: Fields | Error | string, msg?: string) => void} warn
 * @property {(fields: Fields | Error | string, msg?: string) => void} error
 * @property {(text: string) => void} line a line of a human report (a summary table, the inbox): as it is in
 *   text, one `info` object a line with `"report": true` in JSON (blank lines are left out)
 * @property {(bindings: Fields) => Logger} child the same logger with fields on every JSON line (tenant, run, flow)
 */

/**
 * @param {{ format?: string, level?: string, out?: Out, err?: Out, bindings?: Fields }} [o]
 *   format: "json" or "text" (default text); level (default info); out: where lines go (default stdout);
 *   err: where warnings and errors go in text (default: `out` when given, else stderr; JSON lines all go to `out`)
 * @returns {Logger}
 */
export function createLogger(o = {}) {
  const format = o.format || "text";
  const level = o.level || "info";
  if (!FORMATS.includes(/** @type {any} */ (format))) throw new UsageError(`LOG_FORMAT must be one of ${FORMATS.join(", ")} (or unset for text), not ${JSON.stringify(format)}`);
  if (!LEVELS.includes(/** @type {any} */ (level))) throw new UsageError(`LOG_LEVEL must be one of ${LEVELS.join(", ")}, not ${JSON.stringify(level)}`);
  const out = o.out ?? process.stdout;
  const err = o.err ?? (o.out ? o.out : process.stderr);
  return format === "json" ? jsonLogger(out, level, o.bindings) : textLogger(out, err, level);
}

/** From LOG_FORMAT and LOG_LEVEL. @param {NodeJS.ProcessEnv} [env] @param {{ out?: Out, err?: Out }} [o] */
export function loggerFromEnv(env = process.env, o = {}) {
  return createLogger({ format: env.LOG_FORMAT, level: env.LOG_LEVEL, ...o });
}

/** @param {Out} out @param {string} level @param {Fields} [bindings] @returns {Logger} */
function jsonLogger(out, level, bindings) {
  // The destination pino writes each finished line to: the redactor sits between it and the stream.
  const destination = { write: (/** @type {string} */ s) => void out.write(redact(s)) };
  const root = pino({
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
  }, destination);
  return wrap(bindings ? root.child(bindings) : root);
}

/** @param {import("pino").Logger} p @returns {Logger} */
function wrap(p) {
  const at = (/** @type {"debug" | "info" | "warn" | "error"} */ name) => (/** @type {Fields | Error | string} */ fields, /** @type {string | undefined} */ msg) => {
    if (typeof fields === "string") p[name](fields);
    else if (fields instanceof Error) p[name]({ err: fields }, msg ?? fields.message);
    else if (msg === undefined) p[name](fields);
    else p[name](fields, msg);
  };
  return {
    json: true,
    level: p.level,
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    line(text) {
      for (const l of String(text).split("\n")) if (l.trim()) p.info({ report: true }, l);
    },
    child: (b) => wrap(p.child(b)),
  };
}

/** @param {Out} out @param {Out} err @param {string} level @returns {Logger} */
function textLogger(out, err, level) {
  const min = level === "silent" ? Infinity : pino.levels.values[level];
  const at = (/** @type {"debug" | "info" | "warn" | "error"} */ name) => (/** @type {Fields | Error | string} */ fields, /** @type {string | undefined} */ msg) => {
    if (pino.levels.values[name] < min) return;
    const text = textOf(fields, msg);
    (name === "warn" || name === "error" ? err : out).write(redact(`${text}\n`));
  };
  /** @type {Logger} */
  const logger = {
    json: false,
    level,
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    line(text) {
      if (pino.levels.values.info >= min) out.write(redact(`${text}\n`));
    },
    child: () => logger,
  };
  return logger;
}

/** The text line of a call: the message, and an error's message when the message does not say it. @param {Fields | Error | string} fields @param {string} [msg] */
function textOf(fields, msg) {
  if (typeof fields === "string") return fields;
  if (fields instanceof Error) return msg ? (msg.includes(fields.message) ? msg : `${msg}: ${fields.message}`) : fields.message;
  const e = fields.err instanceof Error ? fields.err : fields.error instanceof Error ? fields.error : null;
  const m = msg ?? (e ? "" : typeof fields.msg === "string" ? fields.msg : "");
  if (!e) return m;
  if (!m) return e.message;
  return m.includes(e.message) ? m : `${m}: ${e.message}`;
}

const NAMES = { customerp: "Customerp", chargebee: "Chargebee" };

/**
 * Logs the host's events as structured lines (for LOG_FORMAT=json, where the text report is not what a log
 * shipper wants): each flow's end with its counts (info; warn for the guard and a lost lease, error for a
 * failure), the inbox after a run (info), a system that stops or starts answering (warn, info: only the
 * changes), failed writes and refused webhooks (warn), and at debug each request, 429 and write.
 * @param {import("../app/events.mjs").HostEvents} events @param {Logger} log
 * @returns {() => void} stops
 */
export function logEvents(events, log) {
  /** @type {Set<string>} tenant:system that did not answer last time */
  const down = new Set();
  const t = (/** @type {{ tenant?: string }} */ e) => (typeof e.tenant === "string" ? e.tenant : "");
  return listen(events, "log", {
    run(/** @type {import("../app/events.mjs").RunEvent} */ e) {
      const level = e.outcome === "ok" ? "info" : e.outcome === "failed" ? "error" : "warn";
      log[level]({ run: e.run, flow: e.flow, tenant: t(e), outcome: e.outcome, counts: e.counts }, `${e.flow} ended ${e.outcome}`);
    },
    inbox(/** @type {import("../app/events.mjs").InboxEvent} */ e) {
      const open = Object.values(e.counts ?? {}).reduce((n, x) => n + (Number.isFinite(x) ? x : 0), 0);
      log.info({ tenant: t(e), inbox: e.counts }, `inbox: ${open} open`);
    },
    reach(/** @type {import("../app/events.mjs").ReachEvent} */ e) {
      const key = `${t(e)}:${e.system}`;
      if (!e.ok && !down.has(key)) {
        down.add(key);
        log.warn({ tenant: t(e), system: e.system, ...(e.error ? { error: e.error } : {}) }, `${NAMES[e.system] ?? e.system} did not answer${e.error ? `: ${e.error}` : ""}`);
      } else if (e.ok && down.delete(key)) {
        log.info({ tenant: t(e), system: e.system }, `${NAMES[e.system] ?? e.system} answers again`);
      }
    },
    request(/** @type {import("../app/events.mjs").RequestEvent} */ e) {
      log.debug({ tenant: t(e), system: e.system, method: e.method, status: e.status, ms: e.ms }, `${NAMES[e.system] ?? e.system} ${e.method} ${e.status || "no answer"} (${e.ms} ms)`);
    },
    rateLimited(/** @type {import("../app/events.mjs").RateLimitedEvent} */ e) {
      log.debug({ tenant: t(e), system: e.system, retryAfterMs: e.retryAfterMs }, `${NAMES[e.system] ?? e.system} answered 429`);
    },
    write(/** @type {import("../app/events.mjs").WriteEvent} */ e) {
      log[e.outcome === "failed" ? "warn" : "debug"]({ tenant: t(e), system: e.system, flow: e.flow, outcome: e.outcome }, `${e.flow}: a write to ${NAMES[e.system] ?? e.system} ${e.outcome}`);
    },
    webhook(/** @type {import("../app/events.mjs").WebhookEvent} */ e) {
      const bad = e.outcome === "refused" || e.outcome === "error";
      log[bad ? "warn" : "debug"]({ tenant: t(e), source: e.source, outcome: e.outcome }, `a webhook from ${NAMES[e.source] ?? e.source}: ${e.outcome}`);
    },
  });
}
