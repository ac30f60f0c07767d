// How the host reads each Chargebee resource a flow syncs, in the shape `plan` takes: changed since
// the cursors, by ids, and one by id. Customers and orders include deleted ones; items come with
// their item prices under `item_prices`; business entities have no list API, so they are read from
// business_entity_* events into a local copy kept in the store.

/** @typedef {Record<string, any>} Json */
/** @typedef {Record<string, string | null>} Cursors */
/**
 * @typedef {object} ResourceReader
 * @property {string[]} cursorTypes the cursors this resource keeps (per system and type)
 * @property {(cursors: Cursors) => Promise<{ records: Json[], cursors: Cursors }>} changed
 * @property {(cursors: Cursors) => AsyncGenerator<{ records: Json[], cursors: Cursors }>} changedPages the same, a page at a
 *   time, each page with the cursors after it
 * @property {(ids: string[]) => Promise<Json[]>} byIds
 * @property {(id: string) => Promise<Json | null>} get
 * @property {(body: Json | undefined) => Json | null} fromResponse the record a write answered with, in the
 *   shape `plan` takes, or null when the answer is not that (an item's answer lacks its prices)
 * @property {(invoiceId: string) => Promise<Json[]>} [ofInvoice] orders only: the orders of an invoice
 */

const ALL_STATUSES = JSON.stringify(["active", "archived", "deleted"]);
export const BUSINESS_ENTITY_EVENTS = ["business_entity_created", "business_entity_updated", "business_entity_deleted"];

/** `updated_at[after]` one second before the cursor: a change in the cursor's own second is read again, never lost. */
const since = (/** @type {string | null} */ c, field = "updated_at") => (c ? { [`${field}[after]`]: Number(c) - 1 } : {});

/** @param {Json[]} rows @param {string} field @param {string | null} prev */
const maxCursor = (rows, field, prev) =>
  rows.reduce((m, r) => (typeof r[field] === "number" && r[field] > Number(m ?? 0) ? String(r[field]) : m), prev);

/**
 * Every page of a reader, as one list (records read twice keep their last reading) with the last cursors.
 * @param {AsyncGenerator<{ records: Json[], cursors: Cursors }>} pages @param {Cursors} start
 */
async function collectPages(pages, start) {
  /** @type {Map<string, Json>} */
  const byId = new Map();
  let cursors = start;
  for await (const p of pages) {
    for (const r of p.records) byId.set(r.id, r);
    cursors = p.cursors;
  }
  return { records: [...byId.values()], cursors };
}

/** @template T @param {T[]} xs @param {number} n @returns {T[][]} */
const chunks = (xs, n) => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

/**
 * @param {import("./chargebee.mjs").ChargebeeClient} cb
 * @param {import("../store/store.mjs").Store} store
 * @returns {Record<string, ResourceReader>}
 */
export function chargebeeResources(cb, store) {
  /** A plain resource with a list (customers, orders). @param {string} key @param {string} path */
  const simple = (key, path) => ({
    cursorTypes: [key],
    /** @param {Cursors} c */
    async changed(c) {
      return collectPages(this.changedPages(c), c);
    },
    /** @param {Cursors} c */
    async *changedPages(c) {
      let cursor = c[key];
      for await (const rows of cb.listPages(path, { include_deleted: true, ...since(c[key]), "sort_by[asc]": "updated_at" })) {
        const records = rows.map((e) => e[key]);
        cursor = maxCursor(records, "updated_at", cursor);
        yield { records, cursors: { [key]: cursor } };
      }
    },
    /** @param {string[]} ids */
    async byIds(ids) {
      const out = [];
      for (const part of chunks(ids, 100)) {
        out.push(...(await cb.listAll(path, { "id[in]": JSON.stringify(part), include_deleted: true })).map((e) => e[key]));
      }
      return out;
    },
    /** @param {string} id */
    async get(id) {
      return (await cb.getOrNull(`${path}/${encodeURIComponent(id)}`))?.[key] ?? null;
    },
    /** @param {Json | undefined} body */
    fromResponse: (body) => body?.[key] ?? null,
  });

  /** Items with their prices under `item_prices`, sorted by id. @param {Json[]} items */
  async function withPrices(items) {
    /** @type {Map<string, Json[]>} */
    const byItem = new Map();
    for (const part of chunks(items.map((i) => i.id), 100)) {
      const rows = await cb.listAll("/item_prices", { "item_id[in]": JSON.stringify(part), "status[in]": ALL_STATUSES });
      for (const { item_price: p } of rows) byItem.set(p.item_id, [...(byItem.get(p.item_id) ?? []), p]);
    }
    return items.map((i) => ({ ...i, item_prices: (byItem.get(i.id) ?? []).sort((a, b) => (a.id < b.id ? -1 : 1)) }));
  }

  /** @param {string[]} ids */
  async function itemsByIds(ids) {
    const out = [];
    for (const part of chunks(ids, 100)) {
      const rows = await cb.listAll("/items", { "id[in]": JSON.stringify(part), "status[in]": ALL_STATUSES });
      out.push(...rows.map((e) => e.item));
    }
    return out;
  }

  /** @type {ResourceReader} */
  const item = {
    cursorTypes: ["item", "item_price"],
    async changed(c) {
      return collectPages(this.changedPages(c), c);
    },
    // Changed items a page at a time with their prices; then the items of changed prices not seen yet.
    async *changedPages(c) {
      const q = { "status[in]": ALL_STATUSES, "sort_by[asc]": "updated_at" };
      /** @type {Set<string>} */
      const seen = new Set();
      let cursors = { item: c.item, item_price: c.item_price };
      for await (const rows of cb.listPages("/items", { ...q, ...since(c.item) })) {
        const items = rows.map((e) => e.item);
        items.forEach((i) => seen.add(i.id));
        cursors = { ...cursors, item: maxCursor(items, "updated_at", cursors.item) };
        yield { records: await withPrices(items), cursors };
      }
      for await (const rows of cb.listPages("/item_prices", { ...q, ...since(c.item_price) })) {
        const prices = rows.map((e) => e.item_price);
        cursors = { ...cursors, item_price: maxCursor(prices, "updated_at", cursors.item_price) };
        const missing = [...new Set(prices.map((p) => p.item_id))].filter((id) => !seen.has(id));
        missing.forEach((id) => seen.add(id));
        yield { records: missing.length ? await withPrices(await itemsByIds(missing)) : [], cursors };
      }
    },
    async byIds(ids) {
      return withPrices(await itemsByIds(ids));
    },
    async get(id) {
      const found = (await cb.getOrNull(`/items/${encodeURIComponent(id)}`))?.item;
      return found ? (await withPrices([found]))[0] : null;
    },
    fromResponse: () => null,
  };

  /** @type {ResourceReader} */
  const businessEntity = {
    cursorTypes: ["business_entity_event"],
    async changed(c) {
      return collectPages(this.changedPages(c), c);
    },
    async *changedPages(c) {
      const key = "business_entity_event";
      let cursor = c[key];
      for await (const rows of cb.listPages("/events", {
        "event_type[in]": JSON.stringify(BUSINESS_ENTITY_EVENTS), ...since(c[key], "occurred_at"), "sort_by[asc]": "occurred_at",
      })) {
        const events = rows.map((e) => e.event).filter((e) => e.content?.business_entity);
        for (const e of events) {
          const be = { ...e.content.business_entity };
          if (e.event_type === "business_entity_deleted") be.deleted = true;
          await store.saveBusinessEntity(be);
        }
        cursor = maxCursor(events, "occurred_at", cursor);
        const ids = [...new Set(events.map((e) => e.content.business_entity.id))];
        yield { records: await store.businessEntities(ids), cursors: { [key]: cursor } };
      }
    },
    async byIds(ids) {
      return store.businessEntities(ids);
    },
    async get(id) {
      return (await store.businessEntities([id]))[0] ?? null;
    },
    fromResponse: () => null,
  };

  const order = {
    ...simple("order", "/orders"),
    /** The live orders of an invoice (`invoice_id[is]`), the system-generated first. @param {string} invoiceId @returns {Promise<Json[]>} */
    async ofInvoice(invoiceId) {
      const rows = (await cb.listAll("/orders", { "invoice_id[is]": invoiceId })).map((e) => e.order).filter((o) => !o.deleted);
      return rows.sort((a, b) => Number(b.order_type === "system_generated") - Number(a.order_type === "system_generated"));
    },
  };
  return { customer: simple("customer", "/customers"), order, item, business_entity: businessEntity };
}
