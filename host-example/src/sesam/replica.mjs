// The Customerp side kept in the store when Customerp is reached through Sesam: a replica of the ERP's
// records as Sesam pushes them, the state the sync wants them in, and the changes Sesam pulls to make
// the ERP so. Tables (schema.mjs, 003_sesam): sesam_records, sesam_changes, sesam_moves,
// sesam_sequences, sesam_push; every row carries its tenant.
//
// A record's row holds
//   - `record`: what the sync reads (get, getMany, changes): the ERP's state, with the sync's writes the
//     ERP does not show yet;
//   - `erp`: the ERP's state those writes are based on (the last pushed record; for a record the sync
//     created and the ERP has not shown yet, the record as created, with `confirmed` 0);
//   - `version` (the ETag: it moves on every change of `record`) and `seq` (the change cursor).
// A write of the sync changes `record` and makes the record's change entity (entities.mjs) anew; a
// push changes `erp` and `record` (mergePushed), and the change entity follows: gone when the ERP
// shows the change, made anew when what is left to do changed.
import { createHash, randomUUID } from "node:crypto";
import { FLOWS } from "../app/flows.mjs";
import { DEFAULT_NAMESPACE, ORIGIN_NAMESPACE, OWNED, changeEntity, mergePushed, replaceId, same } from "./entities.mjs";
import { namespaceOf } from "./typed.mjs";
import { pushDecision } from "./protocol.mjs";

/** @typedef {Record<string, any>} Json */
/** @typedef {import("kysely").Kysely<any>} K */
/** @typedef {import("./entities.mjs").Pushed} Pushed */

/**
 * @typedef {object} Row
 * @property {string} type
 * @property {string} id
 * @property {Json} record
 * @property {Json} erp
 * @property {boolean} confirmed
 * @property {Record<string, string>} tags
 * @property {number} version
 * @property {number} seq
 * @property {string | null} origin
 * @property {string | null} idempotency_key
 * @property {string | null} request_hash
 * @property {string | null} seen_in
 */

/** A refusal of the replica, with the status the Customerp REST contract gives it. */
export class ReplicaError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const now = () => new Date().toISOString();
/** An instant as Customerp writes `created` and `updated` (RFC 3339, here in UTC, whole seconds). */
const stamp = () => `${new Date().toISOString().slice(0, 19)}Z`;

/** @param {any} r @returns {Row} */
function parse(r) {
  return {
    type: r.type, id: r.id, record: JSON.parse(r.record), erp: JSON.parse(r.erp), confirmed: Number(r.confirmed) === 1,
    tags: JSON.parse(r.tags), version: Number(r.version), seq: Number(r.seq), origin: r.origin ?? null,
    idempotency_key: r.idempotency_key ?? null, request_hash: r.request_hash ?? null, seen_in: r.seen_in ?? null,
  };
}

export class Replica {
  /**
   * @param {import("../app/store/store.mjs").Store} store
   * @param {{ namespace?: string }} [o] namespace: SESAM_NAMESPACE (default "customerp-{type}:")
   */
  constructor(store, o = {}) {
    this.store = store;
    this.namespace = o.namespace ?? DEFAULT_NAMESPACE;
  }

  /** The same replica on another store (a dry run's copy). @param {import("../app/store/store.mjs").Store} store */
  on(store) {
    return store === this.store ? this : new Replica(store, { namespace: this.namespace });
  }

  get tenant() {
    return this.store.tenant;
  }

  /** @param {K} k @param {string} table */
  #from(k, table) {
    return k.selectFrom(table).where("tenant", "=", this.tenant);
  }

  /** The next number of a per-tenant sequence (its row stays locked until the transaction ends, so numbers follow commits). @param {K} k @param {string} name */
  async #next(k, name) {
    const r = await k.insertInto("sesam_sequences").values({ tenant: this.tenant, name, value: 1 })
      .onConflict((oc) => oc.columns(["tenant", "name"]).doUpdateSet((eb) => ({ value: eb(eb.ref("sesam_sequences.value"), "+", 1) })))
      .returning("value").executeTakeFirstOrThrow();
    return Number(r.value);
  }

  /** @param {K} k @param {string} type @param {string} id @returns {Promise<Row | undefined>} */
  async #row(k, type, id) {
    const r = await this.#from(k, "sesam_records").selectAll().where("type", "=", type).where("id", "=", id).executeTakeFirst();
    return r ? parse(r) : undefined;
  }

  /** A row by its id, or by the placeholder id it had before the ERP gave it one. @param {K} k @param {string} type @param {string} id */
  async #rowOrMoved(k, type, id) {
    const row = await this.#row(k, type, id);
    if (row) return row;
    const moved = await this.#from(k, "sesam_moves").select("to_id").where("type", "=", type).where("from_id", "=", id).executeTakeFirst();
    return moved ? this.#row(k, type, moved.to_id) : undefined;
  }

  /**
   * Writes a row back; `changed` (the record the sync reads changed) moves its version and change cursor.
   * @param {K} k @param {Row} row @param {{ changed: boolean, from?: string }} o from: the id it had (a placeholder given its ERP id)
   */
  async #save(k, row, o) {
    if (o.changed) {
      row.version += 1;
      row.seq = await this.#next(k, `records:${row.type}`);
    }
    await k.updateTable("sesam_records").set({
      id: row.id, record: JSON.stringify(row.record), erp: JSON.stringify(row.erp), confirmed: row.confirmed ? 1 : 0, tags: JSON.stringify(row.tags),
      version: row.version, seq: row.seq, seen_in: row.seen_in, updated_at: now(),
    }).where("tenant", "=", this.tenant).where("type", "=", row.type).where("id", "=", o.from ?? row.id).execute();
  }

  /** @param {K} k @param {Omit<Row, "version" | "seq">} row @returns {Promise<Row>} */
  async #insert(k, row) {
    const full = { ...row, version: 1, seq: await this.#next(k, `records:${row.type}`) };
    await k.insertInto("sesam_records").values({
      tenant: this.tenant, type: row.type, id: row.id, record: JSON.stringify(row.record), erp: JSON.stringify(row.erp), confirmed: row.confirmed ? 1 : 0,
      tags: JSON.stringify(row.tags), version: full.version, seq: full.seq, origin: row.origin, idempotency_key: row.idempotency_key,
      request_hash: row.request_hash, seen_in: row.seen_in, updated_at: now(),
    }).execute();
    return full;
  }

  /**
   * The record's change entity made anew from its row: a new version (a new `_updated`) when what
   * Sesam should do changed; marked done when nothing is left to do.
   * @param {K} k @param {Row} row
   */
  async #refreshChange(k, row) {
    const c = changeEntity(row, { namespace: this.namespace });
    const entityId = c?.entityId ?? (row.confirmed ? `${namespaceOf(this.namespace, row.type)}${row.id}` : /** @type {string} */ (row.origin));
    const existing = await this.#from(k, "sesam_changes").select(["entity", "state"]).where("type", "=", row.type).where("entity_id", "=", entityId).executeTakeFirst();
    if (!c) {
      if (existing?.state === "open") await this.#changeDone(k, row.type, entityId);
      return;
    }
    const entity = JSON.stringify(c.entity);
    if (existing?.state === "open" && existing.entity === entity) return;
    const updated = await this.#next(k, `changes:${row.type}`);
    const values = { record_id: row.id, kind: c.kind, updated, entity, state: "open", at: now() };
    await k.insertInto("sesam_changes").values({ tenant: this.tenant, type: row.type, entity_id: entityId, ...values })
      .onConflict((oc) => oc.columns(["tenant", "type", "entity_id"]).doUpdateSet(values)).execute();
  }

  /** @param {K} k @param {string} type @param {string} entityId */
  async #changeDone(k, type, entityId) {
    await k.updateTable("sesam_changes").set({ state: "done", at: now() })
      .where("tenant", "=", this.tenant).where("type", "=", type).where("entity_id", "=", entityId).execute();
  }

  // ---- what Sesam pushes (JSON push protocol) --------------------------------------------------

  /**
   * One push request to a receiver, in one transaction: the sequence rules (409 as `conflict`), every
   * entity taken in, and at the end of a full sequence the records it did not carry deleted
   * (tombstones: the record stays, `deleted: true`).
   * @param {string} type @param {Pushed[]} entities @param {import("./protocol.mjs").PushParams} p
   * @returns {Promise<{ conflict: string } | { mode: string, received: number, created: number, updated: number, unchanged: number, deleted: number, linked: number }>}
   */
  async push(type, entities, p) {
    return this.store.tx(null, async (k) => {
      // The receiver's row is made first and then locked (PostgreSQL), so two pushes to one receiver take turns.
      await k.insertInto("sesam_push").values({ tenant: this.tenant, type, sequence_id: "", is_full: 0, last_request_id: null, requests: 0, started: now(), finished: now() })
        .onConflict((oc) => oc.columns(["tenant", "type"]).doNothing()).execute();
      let q = this.#from(k, "sesam_push").selectAll().where("type", "=", type);
      if (this.store.dialect === "postgres") q = q.forUpdate();
      const active = /** @type {import("./protocol.mjs").PushSequence} */ (await q.executeTakeFirstOrThrow());
      const decision = pushDecision({ ...active, is_full: Number(active.is_full), requests: Number(active.requests) }, p);
      if ("conflict" in decision) return decision;
      const open = !active.finished && active.sequence_id !== "";
      // Records a full sequence carries are stamped with it; so are those an incremental request brings
      // while one is under way (created in the ERP after its first page was read).
      const seen = decision.mode === "full" ? /** @type {string} */ (p.sequenceId) : open && Number(active.is_full) ? active.sequence_id : null;
      const counts = { received: entities.length, created: 0, updated: 0, unchanged: 0, deleted: 0, linked: 0 };
      for (const e of entities) counts[await this.#take(k, type, e, seen)]++;
      if (decision.mode === "full") {
        if (decision.last) counts.deleted += await this.#deleteUnseen(k, type, /** @type {string} */ (p.sequenceId));
        await k.updateTable("sesam_push").set({
          sequence_id: /** @type {string} */ (p.sequenceId), is_full: 1, last_request_id: p.requestId,
          requests: decision.first ? 1 : Number(active.requests) + 1, ...(decision.first ? { started: now() } : {}), finished: decision.last ? now() : null,
        }).where("tenant", "=", this.tenant).where("type", "=", type).execute();
      }
      return { mode: decision.mode, ...counts };
    });
  }

  /**
   * One pushed record into the replica. Returns what it was: a new record, an update, the ERP's
   * copy of a record the sync created (linked), or unchanged.
   * @param {K} k @param {string} type @param {Pushed} e @param {string | null} seen
   * @returns {Promise<"created" | "updated" | "unchanged" | "linked">}
   */
  async #take(k, type, e, seen) {
    let row = await this.#row(k, type, e.id);
    /** @type {Row | undefined} the record the sync created that this is the ERP's copy of */
    let placeholder;
    if (e.origins.length) {
      const ph = await this.#from(k, "sesam_records").selectAll().where("type", "=", type).where("origin", "in", e.origins).where("confirmed", "=", 0).executeTakeFirst();
      if (ph && ph.id !== e.id) placeholder = parse(ph);
    }
    if (placeholder) {
      await k.insertInto("sesam_moves").values({ tenant: this.tenant, type, from_id: placeholder.id, to_id: e.id, at: now() })
        .onConflict((oc) => oc.columns(["tenant", "type", "from_id"]).doUpdateSet({ to_id: e.id })).execute();
      if (row) {
        // The ERP's record was pushed before, without its origin: the placeholder's row goes.
        await k.deleteFrom("sesam_records").where("tenant", "=", this.tenant).where("type", "=", type).where("id", "=", placeholder.id).execute();
      } else {
        // The record the sync created, as the ERP made it: the placeholder's row takes the ERP's id and
        // is merged like any other (what the sync changed after the create and the ERP does not show
        // yet stays to be written, as an update).
        row = { ...placeholder, id: e.id };
        await this.#save(k, row, { changed: false, from: placeholder.id });
      }
    }
    /** @type {"created" | "updated" | "unchanged" | "linked"} */
    let outcome;
    if (!row) {
      const fresh = await this.#insert(k, { type, id: e.id, record: e.record, erp: e.record, confirmed: true, tags: e.tags, origin: null, idempotency_key: null, request_hash: null, seen_in: seen });
      await this.#refreshChange(k, fresh);
      outcome = "created";
    } else {
      const changed = this.#merge(row, e.bare ? { ...row.erp, id: e.id, deleted: true } : e.record, e.tags);
      if (seen) row.seen_in = seen;
      await this.#save(k, row, { changed: changed.record });
      if (changed.record || changed.erp) await this.#refreshChange(k, row);
      outcome = changed.record ? "updated" : "unchanged";
    }
    if (placeholder) {
      await this.#changeDone(k, type, /** @type {string} */ (placeholder.origin));
      await this.#replaceEverywhere(k, placeholder.id, e.id);
      outcome = "linked";
    }
    return outcome;
  }

  /**
   * The ERP's new state of a row's record, merged with what the sync wants (mergePushed).
   * @param {Row} row @param {Json} pushed @param {Record<string, string>} tags
   */
  #merge(row, pushed, tags) {
    const next = mergePushed(pushed, row.erp, row.record);
    const changed = { record: !same(next, row.record), erp: !same(pushed, row.erp) || !row.confirmed };
    row.record = next;
    row.erp = pushed;
    row.confirmed = true;
    row.tags = { ...row.tags, ...tags };
    return changed;
  }

  /**
   * The end of a full sequence: every record the ERP showed before and this sequence did not carry is
   * deleted in the ERP (a tombstone). Records the sync created and the ERP has not shown yet stay.
   * @param {K} k @param {string} type @param {string} sequence
   */
  async #deleteUnseen(k, type, sequence) {
    const rows = await this.#from(k, "sesam_records").selectAll().where("type", "=", type).where("confirmed", "=", 1)
      .where((eb) => eb.or([eb("seen_in", "is", null), eb("seen_in", "!=", sequence)])).execute();
    let n = 0;
    for (const r of rows.map(parse)) {
      if (r.erp.deleted === true) continue;
      const changed = this.#merge(r, { ...r.erp, deleted: true }, {});
      await this.#save(k, r, { changed: changed.record });
      await this.#refreshChange(k, r);
      n++;
    }
    return n;
  }

  /**
   * A placeholder id became an ERP id: other records the sync wants to write that name it (a quote's
   * contact made in the same run) name the ERP id instead, and their change entities follow.
   * @param {K} k @param {string} from @param {string} to
   */
  async #replaceEverywhere(k, from, to) {
    const rows = await this.#from(k, "sesam_records").selectAll().where("record", "like", `%${from}%`).execute();
    for (const r of rows.map(parse)) {
      const record = replaceId(r.record, from, to);
      if (same(record, r.record)) continue;
      r.record = record;
      if (!r.confirmed) r.erp = replaceId(r.erp, from, to);
      await this.#save(k, r, { changed: true });
      await this.#refreshChange(k, r);
    }
  }

  // ---- what the sync reads and writes (SesamCustomerpClient) --------------------------------------

  /**
   * Records of `type` changed after `cursor` (all when null), oldest change first, tombstones included.
   * First the links to placeholders whose ERP id is known are moved to it (settleMoves).
   * @param {string} type @param {string | null} cursor @returns {Promise<{ records: Json[], cursor: string, more: boolean }>}
   */
  async changes(type, cursor, limit = 0) {
    await this.settleMoves(type);
    const after = cursor === null || cursor === "" ? 0 : Number(cursor);
    if (!Number.isSafeInteger(after) || after < 0) throw new ReplicaError(400, "invalid_request", `the cursor ${JSON.stringify(cursor)} is not one this replica gave`);
    let q = this.#from(this.store.k, "sesam_records").select(["record", "seq"]).where("type", "=", type).where("seq", ">", after).orderBy("seq");
    if (limit > 0) q = q.limit(limit + 1);
    const rows = await q.execute();
    const more = limit > 0 && rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    return { records: page.map((r) => JSON.parse(r.record)), cursor: String(page.length ? Number(page[page.length - 1].seq) : after), more };
  }

  /** @param {string} type @param {string} id @returns {Promise<{ record: Json, etag: string } | null>} */
  async get(type, id) {
    const row = await this.#rowOrMoved(this.store.k, type, id);
    return row ? { record: row.record, etag: String(row.version) } : null;
  }

  /** @param {string} type @param {string[]} ids @returns {Promise<Json[]>} */
  async getMany(type, ids) {
    /** @type {Json[]} */
    const out = [];
    const k = this.store.k;
    for (let i = 0; i < ids.length; i += 500) {
      const part = [...new Set(ids.slice(i, i + 500))];
      if (!part.length) continue;
      const rows = await this.#from(k, "sesam_records").select(["id", "record"]).where("type", "=", type).where("id", "in", part).execute();
      const found = new Set(rows.map((r) => r.id));
      out.push(...rows.map((r) => JSON.parse(r.record)));
      const missing = part.filter((id) => !found.has(id));
      if (missing.length) {
        const moved = await this.#from(k, "sesam_moves").select("to_id").where("type", "=", type).where("from_id", "in", missing).execute();
        const to = moved.map((m) => m.to_id).filter((id) => !found.has(id));
        if (to.length) out.push(...(await this.#from(k, "sesam_records").select("record").where("type", "=", type).where("id", "in", to).execute()).map((r) => JSON.parse(r.record)));
      }
    }
    return out;
  }

  /**
   * A record the sync creates: a row with a placeholder id until the ERP's record comes back (with
   * its origin), and a create entity in the pull dataset. The same idempotency key with the same
   * record answers the first create again; with another record it is refused (422).
   * @param {string} type @param {Json} record @param {string} [idempotencyKey] @returns {Promise<Json>}
   */
  async create(type, record, idempotencyKey) {
    const hash = createHash("sha256").update(JSON.stringify(record)).digest("hex");
    return this.store.tx(null, async (k) => {
      if (idempotencyKey) {
        const seen = await this.#from(k, "sesam_records").selectAll().where("type", "=", type).where("idempotency_key", "=", idempotencyKey).executeTakeFirst();
        if (seen) {
          if (seen.request_hash !== hash) throw new ReplicaError(422, "idempotency_conflict", "the Idempotency-Key was used with another record");
          return parse(seen).record;
        }
      }
      const id = `sesam-new-${randomUUID()}`;
      const origin = `${namespaceOf(ORIGIN_NAMESPACE, type)}${id}`;
      const at = stamp();
      /** @type {Json} */
      const fields = Object.fromEntries(Object.entries(record).filter(([f]) => !OWNED.includes(f)));
      const made = { ...fields, id, deleted: fields.deleted === true, created: at, updated: at };
      const row = await this.#insert(k, { type, id, record: made, erp: made, confirmed: false, tags: {}, origin, idempotency_key: idempotencyKey ?? null, request_hash: hash, seen_in: null });
      await this.#refreshChange(k, row);
      return made;
    });
  }

  /**
   * A change the sync writes: top-level fields (nested objects and lists whole), If-Match on the
   * version (412 when the record moved since). The fields the ERP owns are not written.
   * @param {string} type @param {string} id @param {Json} changes @param {string | null} [etag] @returns {Promise<Json>}
   */
  async update(type, id, changes, etag) {
    return this.#write(type, id, etag, (r) => ({ ...r, ...Object.fromEntries(Object.entries(changes).filter(([f]) => !OWNED.includes(f))) }));
  }

  /** A delete the sync writes (the record stays, deleted). @param {string} type @param {string} id @param {string | null} [etag] @returns {Promise<Json>} */
  async remove(type, id, etag) {
    return this.#write(type, id, etag, (r) => ({ ...r, deleted: true }));
  }

  /** @param {string} type @param {string} id @param {string | null | undefined} etag @param {(r: Json) => Json} change */
  async #write(type, id, etag, change) {
    return this.store.tx(null, async (k) => {
      const row = await this.#rowOrMoved(k, type, id);
      if (!row) throw new ReplicaError(404, "not_found", `${type} ${id} does not exist`);
      if (etag != null && etag !== String(row.version)) throw new ReplicaError(412, "precondition_failed", "the record changed since it was read (ETag mismatch)");
      const next = change(row.record);
      if (same(next, row.record)) return row.record;
      row.record = next;
      await this.#save(k, row, { changed: true });
      await this.#refreshChange(k, row);
      return row.record;
    });
  }

  /**
   * Links of this type's flow that still name a placeholder whose ERP id is known move to the ERP id
   * (with the flow's records to retry, waits, first-sync sides and overrides). Run by `changes`, so a
   * run moves them, under its lease, before it plans. A link the ERP id already has is left alone and
   * the placeholder's reported: two links would otherwise become one.
   * @param {string} type @returns {Promise<number>} links moved
   */
  async settleMoves(type) {
    const flow = FLOWS.find((f) => f.customerp === type);
    if (!flow) return 0;
    const pending = await this.store.k.selectFrom("links")
      .innerJoin("sesam_moves", (j) => j.onRef("sesam_moves.from_id", "=", "links.customerp_id").onRef("sesam_moves.tenant", "=", "links.tenant"))
      .select(["sesam_moves.from_id as from_id", "sesam_moves.to_id as to_id", "links.chargebee_id as chargebee_id"])
      .where("links.tenant", "=", this.tenant).where("links.flow", "=", flow.id).where("sesam_moves.type", "=", type).execute();
    if (!pending.length) return 0;
    let moved = 0;
    await this.store.tx(flow.id, async (k) => {
      /** @param {any} q */
      const scoped = (q) => q.where("tenant", "=", this.tenant).where("flow", "=", flow.id);
      for (const m of pending) {
        const taken = await this.#from(k, "links").select("chargebee_id").where("flow", "=", flow.id).where("customerp_id", "=", m.to_id).executeTakeFirst();
        if (taken) {
          await k.insertInto("log").values({
            tenant: this.tenant, run: null, at: now(), flow: flow.id, kind: "warning", customerp_id: m.from_id, chargebee_id: m.chargebee_id, property: null,
            message: `Customerp ${m.from_id}, which the sync created, came back from the ERP as ${m.to_id}; ${m.to_id} is already linked to Chargebee ${taken.chargebee_id}, so ${m.chargebee_id} stays linked to ${m.from_id}: link or unlink them by hand`,
            detail: null,
          }).execute();
          continue;
        }
        for (const table of ["links", "first_sync_keep", "order_waits", "overrides"]) {
          await scoped(k.updateTable(table).set({ customerp_id: m.to_id })).where("customerp_id", "=", m.from_id).execute();
        }
        const retry = await this.#from(k, "pending").select("id").where("flow", "=", flow.id).where("side", "=", "customerp").where("id", "=", m.to_id).executeTakeFirst();
        const pendingRows = scoped(retry ? k.deleteFrom("pending") : k.updateTable("pending").set({ id: m.to_id }));
        await pendingRows.where("side", "=", "customerp").where("id", "=", m.from_id).execute();
        moved++;
      }
    });
    return moved;
  }

  // ---- what Sesam pulls (JSON pull protocol) ---------------------------------------------------

  /**
   * The change entities of a type after `since`, oldest first, at most `limit`; each with `_updated`.
   * @param {string} type @param {number} since @param {number | null} limit
   * @returns {Promise<{ entities: Json[], maxUpdated: number }>}
   */
  async pull(type, since, limit) {
    let q = this.#from(this.store.k, "sesam_changes").select(["entity", "updated"]).where("type", "=", type).where("updated", ">", since).orderBy("updated");
    if (limit !== null) q = q.limit(limit);
    const rows = await q.execute();
    const max = await this.#from(this.store.k, "sesam_changes").select((eb) => eb.fn.max("updated").as("m")).where("type", "=", type).executeTakeFirst();
    return {
      entities: rows.map((r) => ({ ...JSON.parse(r.entity), _updated: Number(r.updated) })),
      maxUpdated: Number(max?.m ?? 0),
    };
  }
}

