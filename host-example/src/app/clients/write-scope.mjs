// The scope of one check-and-write of a pair (pair.mjs): the Chargebee tokens it paid for before its
// check, and when each system last answered about the pair. Inside a scope a write is sent once: it
// never waits (for a token, a back-off or a Retry-After) between the check of its target and the
// send; whatever would make it wait ends the attempt with RetryLater, and the write path checks again.
import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The longest a write may leave after the last answer about its pair (the check's read, or the request
 * before it in the same chain): local work only, planning and encoding, well under a millisecond; the
 * bound covers a garbage collection or a busy event loop. Past it, the write is not sent: checked again.
 */
export const CHECK_BOUND_MS = 250;

export class WriteScope {
  /** @param {number} tokens Chargebee requests paid for before the check (its reads and the plan's writes) */
  constructor(tokens) {
    this.tokens = tokens;
    /** @type {{ chargebee: number | null, customerp: number | null }} when each system last answered (performance.now()) */
    this.heard = { chargebee: null, customerp: null };
    /** How long the writes left after the last answer, ms (for the measured bound). @type {number[]} */
    this.gaps = [];
  }
}

const als = new AsyncLocalStorage();

/** The scope this code runs in, if any. @returns {WriteScope | undefined} */
export const currentScope = () => als.getStore();

/** @template T @param {WriteScope} scope @param {() => Promise<T>} fn @returns {Promise<T>} */
export const inScope = (scope, fn) => als.run(scope, fn);
