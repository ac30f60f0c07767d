// Customerp through Sesam (CUSTOMERP_SOURCE=sesam): the interface of CustomerpClient over the replica
// Sesam keeps in the store (src/sesam/replica.mjs). Reads come from the replica; a write becomes the
// record's desired state there and a change entity Sesam pulls and makes in the ERP. The ETag is the
// replica record's version: an update or delete with an older one is refused with 412, as the REST
// contract's If-Match is. A create answers at once with a placeholder id (`sesam-new-…`); the ERP's id
// replaces it when Sesam pushes the created record back with its origin.
import { CustomerpError } from "./customerp.mjs";
import { Replica, ReplicaError } from "../../sesam/replica.mjs";

/** @typedef {Record<string, any>} Rec */

export class SesamCustomerpClient {
  /**
   * @param {{ store: import("../store/store.mjs").Store, namespace?: string, counters?: { reads: number, writes: number, retries: number } }} o
   *   namespace: SESAM_NAMESPACE
   */
  constructor(o) {
    this.replica = new Replica(o.store, { namespace: o.namespace });
    this.baseUrl = "sesam:";
    this.counters = o.counters ?? { reads: 0, writes: 0, retries: 0 };
    /** Records a change-feed page holds. */
    this.pageSize = 500;
  }

  /** This client on another store (a dry run plans on a copy of the store: the replica is in it). @param {import("../store/store.mjs").Store} store */
  forStore(store) {
    if (store === this.replica.store) return this;
    return new SesamCustomerpClient({ store, namespace: this.replica.namespace, counters: this.counters });
  }

  /**
   * A replica call, its refusals as CustomerpError (as the REST client throws them).
   * @template T @param {string} method @param {string} path @param {() => Promise<T>} fn @returns {Promise<T>}
   */
  async #call(method, path, fn) {
    if (method === "GET") this.counters.reads++;
    else this.counters.writes++;
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ReplicaError) throw Object.assign(new CustomerpError(method, path, e.status, { error: { code: e.code, message: e.message } }), { url: "sesam:" });
      throw e;
    }
  }

  /**
   * Records of `type` changed after `cursor` (all when null).
   * @param {string} type @param {string | null} cursor @returns {Promise<{ records: Rec[], cursor: string | null }>}
   */
  async changes(type, cursor) {
    return this.#call("GET", `/${type}?since=${cursor ?? 0}`, () => this.replica.changes(type, cursor));
  }

  /**
   * The replica's changes a page at a time (as CustomerpClient.changePages), each page with the cursor after it.
   * @param {string} type @param {string | null} cursor @returns {AsyncGenerator<{ records: Rec[], cursor: string }>}
   */
  async *changePages(type, cursor) {
    let since = cursor;
    for (;;) {
      const page = await this.#call("GET", `/${type}?since=${since ?? 0}`, () => this.replica.changes(type, since, this.pageSize));
      since = page.cursor;
      yield { records: page.records, cursor: /** @type {string} */ (page.cursor) };
      if (!page.more) return;
    }
  }

  /** @param {string} type @param {string} id @returns {Promise<{ record: Rec, etag: string | null } | null>} */
  async get(type, id) {
    return this.#call("GET", `/${type}/${id}`, () => this.replica.get(type, id));
  }

  /** @param {string} type @param {string[]} ids @returns {Promise<Rec[]>} */
  async getMany(type, ids) {
    if (!ids.length) return [];
    return this.#call("GET", `/${type}?ids=…`, () => this.replica.getMany(type, ids));
  }

  /** @param {string} type @param {Rec} record @param {string} [idempotencyKey] @returns {Promise<Rec>} */
  async create(type, record, idempotencyKey) {
    return this.#call("POST", `/${type}`, () => this.replica.create(type, record, idempotencyKey));
  }

  /** @param {string} type @param {string} id @param {Rec} changes @param {string | null} [etag] @returns {Promise<Rec>} */
  async update(type, id, changes, etag) {
    return this.#call("PATCH", `/${type}/${id}`, () => this.replica.update(type, id, changes, etag));
  }

  /** @param {string} type @param {string} id @param {string | null} [etag] @returns {Promise<Rec>} */
  async remove(type, id, etag) {
    return this.#call("DELETE", `/${type}/${id}`, () => this.replica.remove(type, id, etag));
  }
}
