// A client of the JSON push and pull protocols as Sesam speaks them (hub/json-push.rst,
// hub/json-pull.rst), for the tests and the local trial in docs/sesam.md: it plays the part of a
// Sesam `json` sink (pushing entities to a receiver, a full sync across several requests) and of a
// `json` source (reading a dataset in pages with `since` and `limit`).
import { randomUUID } from "node:crypto";

/** @typedef {Record<string, any>} Json */

export class SesamProtocolClient {
  /** @param {{ url: string, token: string }} o url: the host's base URL */
  constructor(o) {
    this.url = o.url.replace(/\/+$/, "");
    this.token = o.token;
  }

  /**
   * One POST of the push protocol. Parameters are sent as given (booleans as Sesam's Python writes them, `True`).
   * @param {string} path e.g. /receivers/customerp-contacts/entities
   * @param {unknown} entities @param {Record<string, string | boolean | undefined>} [params]
   * @returns {Promise<{ status: number, body: any }>}
   */
  async post(path, entities, params = {}) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, typeof v === "boolean" ? (v ? "True" : "False") : v);
    const res = await fetch(`${this.url}${path}${q.size ? `?${q}` : ""}`, {
      method: "POST", body: typeof entities === "string" ? entities : JSON.stringify(entities),
      headers: { authorization: `bearer ${this.token}`, "content-type": "application/json" },
    });
    return { status: res.status, body: await res.json() };
  }

  /**
   * A full sync, as a `json` sink sends one: the entities in batches of `batchSize`, one sequence,
   * is_first on the first request, previous_request_id chaining them, is_last on the last.
   * @param {string} path @param {Json[]} entities @param {{ batchSize?: number, sequenceId?: string }} [o]
   * @returns {Promise<{ status: number, body: any }[]>} each request's answer (it stops at the first that is not 200)
   */
  async fullSync(path, entities, o = {}) {
    const size = o.batchSize ?? 100;
    const sequenceId = o.sequenceId ?? randomUUID();
    const batches = [];
    for (let i = 0; i < entities.length; i += size) batches.push(entities.slice(i, i + size));
    if (!batches.length) batches.push([]);
    const answers = [];
    /** @type {string | undefined} */
    let previous;
    for (const [i, batch] of batches.entries()) {
      const requestId = String(i + 1);
      const a = await this.post(path, batch, {
        sequence_id: sequenceId, is_full: true, request_id: requestId, previous_request_id: previous,
        is_first: i === 0 ? true : undefined, is_last: i === batches.length - 1 ? true : undefined,
      });
      answers.push(a);
      if (a.status !== 200) break;
      previous = requestId;
    }
    return answers;
  }

  /** An incremental push (is_full=false): one request. @param {string} path @param {Json[]} entities */
  async incremental(path, entities) {
    return this.post(path, entities, { is_full: false });
  }

  /**
   * One GET of the pull protocol.
   * @param {string} path e.g. /datasets/customerp-contacts-changes/entities
   * @param {{ since?: string | number, limit?: number }} [o]
   * @returns {Promise<{ status: number, entities: Json[], maxUpdated: unknown }>}
   */
  async get(path, o = {}) {
    const q = new URLSearchParams();
    if (o.since !== undefined) q.set("since", String(o.since));
    if (o.limit !== undefined) q.set("limit", String(o.limit));
    const res = await fetch(`${this.url}${path}${q.size ? `?${q}` : ""}`, { headers: { authorization: `bearer ${this.token}` } });
    const body = await res.json();
    const max = res.headers.get("x-dataset-max-updated");
    return { status: res.status, entities: body, maxUpdated: max === null ? null : JSON.parse(max) };
  }

  /**
   * Everything after `since`, in pages of `pageSize`, as a `json` source with `page_size` reads: the
   * next page starts after the last `_updated` seen; an empty page ends it.
   * @param {string} path @param {{ since?: string | number, pageSize?: number }} [o]
   * @returns {Promise<{ entities: Json[], since: string | number | undefined, pages: number }>}
   */
  async pullAll(path, o = {}) {
    /** @type {Json[]} */
    const entities = [];
    let since = o.since;
    let pages = 0;
    for (;;) {
      const page = await this.get(path, { since, limit: o.pageSize ?? 100 });
      if (page.status !== 200) throw new Error(`GET ${path}: ${page.status} ${JSON.stringify(page.entities)}`);
      pages++;
      if (!page.entities.length) return { entities, since, pages };
      entities.push(...page.entities);
      since = page.entities[page.entities.length - 1]._updated;
    }
  }
}
