// A clean stop for every long-running command: the first SIGTERM or SIGINT asks the work to stop
// (a run finishes the pairs in flight, starts no new one and keeps its cursors, so the next run does
// the rest), then the command releases its leases and flushes what it reports; if that takes longer
// than the bound, the process exits anyway (a run cut there is as safe as any crash: every write
// went through the write path). A second signal exits at once.
import { SHUTDOWN_MS, shutdownBoundMs } from "../ops/ops.mjs";

export class Shutdown {
  /**
   * @param {{ boundMs?: number, say?: (line: string) => void, exit?: (code: number) => void, signals?: NodeJS.Signals[] }} [o]
   *   boundMs: how long a stop may take (default: the run's, the endpoint's and the alerts' bounds together)
   */
  constructor(o = {}) {
    this.boundMs = o.boundMs ?? shutdownBoundMs();
    this.say = o.say ?? ((l) => console.log(l));
    this.exit = o.exit ?? ((code) => process.exit(code));
    this.requested = false;
    /** @type {unknown} */
    this.failure = undefined;
    /** @type {(() => void)[]} */
    this.waiting = [];
    this.stopped = new Promise((resolve) => this.waiting.push(() => resolve(undefined)));
    this.signals = o.signals ?? ["SIGTERM", "SIGINT"];
    this.onSignal = (/** @type {NodeJS.Signals} */ sig) => this.request(sig);
    for (const s of this.signals) process.on(s, this.onSignal);
  }

  /** @param {string} why */
  request(why) {
    if (this.requested) {
      this.say(`${why} again: exiting now`);
      this.exit(130);
      return;
    }
    this.requested = true;
    this.say(`${why}: stopping (the pairs in flight finish, no new one starts; within ${Math.round(this.boundMs / 1000)} s)`);
    const timer = setTimeout(() => {
      this.say(`not stopped within ${Math.round(this.boundMs / 1000)} s: exiting; the next run finishes what this one did not`);
      this.exit(0);
    }, this.boundMs);
    timer.unref();
    for (const w of this.waiting) w();
  }

  /** Stops with a failure (`--exit-on-error`): the command ends, its error the exit code's. @param {unknown} e */
  fail(e) {
    this.failure ??= e;
    if (!this.requested) this.request("a run failed (--exit-on-error)");
  }

  /** Whether a stop was asked for (a run checks it between pairs). */
  shouldStop = () => this.requested;

  close() {
    for (const s of this.signals) process.off(s, this.onSignal);
  }
}

export { SHUTDOWN_MS };
