// The JSON push and pull protocols' request parameters and the push protocol's sequence rules, with
// no I/O (docs: hub/json-push.rst, hub/json-pull.rst).

/** Thrown for a request parameter with a value the protocol does not allow: 400. */
export class ParameterError extends Error {
  /** @param {string} name @param {string} message */
  constructor(name, message) {
    super(message);
    this.parameter = name;
  }
}

/**
 * A boolean query parameter: `true` or `false` in any case (Sesam's Python sends `True`), absent is
 * `fallback`. Anything else is refused.
 * @param {URLSearchParams} q @param {string} name @param {boolean} fallback
 */
export function queryBoolean(q, name, fallback) {
  const v = q.get(name);
  if (v === null || v === "") return fallback;
  const lower = v.toLowerCase();
  if (lower === "true") return true;
  if (lower === "false") return false;
  throw new ParameterError(name, `${name} must be true or false (in any case), not ${JSON.stringify(v)}`);
}

/**
 * @typedef {object} PushParams the JSON push protocol's parameters; the others are ignored
 * @property {string | null} sequenceId
 * @property {boolean} isFull
 * @property {string | null} requestId
 * @property {string | null} previousRequestId
 * @property {boolean} isFirst
 * @property {boolean} isLast
 */

/** @param {URLSearchParams} q @returns {PushParams} */
export function pushParams(q) {
  const text = (/** @type {string} */ n) => {
    const v = q.get(n);
    return v === null || v === "" ? null : v;
  };
  const p = {
    sequenceId: text("sequence_id"), isFull: queryBoolean(q, "is_full", false), requestId: text("request_id"),
    previousRequestId: text("previous_request_id"), isFirst: queryBoolean(q, "is_first", false), isLast: queryBoolean(q, "is_last", false),
  };
  // A full sync is a chain of requests: it cannot be followed without its sequence and request ids.
  if (p.isFull && p.sequenceId === null) throw new ParameterError("sequence_id", "a full sync (is_full=true) needs sequence_id");
  if (p.isFull && p.requestId === null) throw new ParameterError("request_id", "a full sync (is_full=true) needs request_id");
  return p;
}

/**
 * @typedef {object} PushSequence a receiver's active full sequence, as stored
 * @property {string} sequence_id
 * @property {number} is_full
 * @property {string | null} last_request_id
 * @property {number} requests
 * @property {string | null} finished set when its is_last request came: it is no longer active
 */

/**
 * What a push request is, given the receiver's active sequence:
 *   - an incremental request (is_full false) is accepted as it is and does not touch the active
 *     sequence — unless it names the active full sequence: is_full changed within it, 409;
 *   - a full request with is_first starts (or replaces) the active sequence — unless it names the
 *     active sequence after requests of it were taken: is_first came late, 409;
 *   - another full request continues the active sequence: it must name it, and its
 *     previous_request_id must be that sequence's last request_id, else 409. A sequence whose first
 *     request was not seen, or that ended with is_last, has nothing to continue: 409, and the sink
 *     starts again from a new sequence, as the protocol says it does after a 409.
 * @param {PushSequence | undefined} active @param {PushParams} p
 * @returns {{ conflict: string } | { mode: "incremental" } | { mode: "full", first: boolean, last: boolean }}
 */
export function pushDecision(active, p) {
  const open = active && !active.finished && active.sequence_id !== "" ? active : undefined;
  if (!p.isFull) {
    if (open && p.sequenceId !== null && p.sequenceId === open.sequence_id && open.is_full) {
      return { conflict: `is_full is false in sequence ${JSON.stringify(p.sequenceId)}, whose earlier requests were a full sync` };
    }
    return { mode: "incremental" };
  }
  if (p.isFirst) {
    if (open && open.sequence_id === p.sequenceId && open.requests > 0) {
      return { conflict: `is_first=true in sequence ${JSON.stringify(p.sequenceId)}, which began ${open.requests} request${open.requests === 1 ? "" : "s"} ago` };
    }
    return { mode: "full", first: true, last: p.isLast };
  }
  if (!open || open.sequence_id !== p.sequenceId) {
    const why = active && active.sequence_id === p.sequenceId && active.finished ? "it ended with is_last" : "its is_first request was not received";
    return { conflict: `sequence ${JSON.stringify(p.sequenceId)} is not active (${why}): start a new sequence with is_first=true` };
  }
  if (!open.is_full) return { conflict: `is_full is true in sequence ${JSON.stringify(p.sequenceId)}, which was not a full sync` };
  if (p.previousRequestId !== open.last_request_id) {
    return { conflict: `previous_request_id ${JSON.stringify(p.previousRequestId)} is not the request_id of the sequence's previous request (${JSON.stringify(open.last_request_id)})` };
  }
  return { mode: "full", first: false, last: p.isLast };
}

/**
 * The JSON pull protocol's parameters: `since` (exclusive; this host's `_updated` values are
 * sequence numbers, so a since is a whole number ≥ 0) and `limit` (≥ 1; absent: every entity).
 * @param {URLSearchParams} q @returns {{ since: number, limit: number | null }}
 */
export function pullParams(q) {
  const since = q.get("since");
  const limit = q.get("limit");
  const whole = (/** @type {string} */ name, /** @type {string} */ v, /** @type {number} */ min) => {
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) < min) {
      throw new ParameterError(name, `${name} must be a whole number ≥ ${min}${name === "since" ? " (an _updated value this endpoint returned)" : ""}, not ${JSON.stringify(v)}`);
    }
    return Number(v);
  };
  return { since: since === null || since === "" ? 0 : whole("since", since, 0), limit: limit === null || limit === "" ? null : whole("limit", limit, 1) };
}
