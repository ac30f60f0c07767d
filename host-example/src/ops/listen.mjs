// Listeners on the host's events that can never break the host: the emitter calls its listeners
// synchronously, inside the loop, the clients and the receivers, so a listener that throws would throw
// there. Every ops listener goes through `listen`, which catches and reports instead.
import { redact } from "../app/redact.mjs";

/** @typedef {import("../app/events.mjs").HostEvents} HostEvents */

let reported = 0;
/** The default report of a listener's failure: one redacted line on stderr, the first 10 times. @param {string} where @param {unknown} e */
export function reportListenerError(where, e) {
  if (reported++ >= 10) return;
  process.stderr.write(redact(`ops: ${where} failed on an event and ignored it: ${e instanceof Error ? e.message : String(e)}\n`));
}

/**
 * Adds each handler as a listener of its event, guarded; returns what removes them.
 * @param {HostEvents} events
 * @param {string} where who listens (for the report)
 * @param {Record<string, (e: any) => void>} handlers event name → handler
 * @param {(where: string, e: unknown) => void} [onError]
 * @returns {() => void}
 */
export function listen(events, where, handlers, onError = reportListenerError) {
  /** @type {Array<[string, (e: any) => void]>} */
  const added = Object.entries(handlers).map(([name, fn]) => [name, (/** @type {any} */ e) => {
    try {
      fn(e);
    } catch (err) {
      try {
        onError(`${where} (${name})`, err);
      } catch {
        // a report that fails is dropped too: nothing reaches the emitter
      }
    }
  }]);
  for (const [name, fn] of added) events.on(name, fn);
  return () => {
    for (const [name, fn] of added) events.off(name, fn);
  };
}
