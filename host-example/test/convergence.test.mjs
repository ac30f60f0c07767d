// A model-based simulation of the host against both local servers: random edits over HTTP on both
// sides (contacts and customers, products and items, orders and their lines, deletes and cancels),
// the real loop between rounds, and after every round: no errors, a second run writes nothing, the
// two sides agree on what was edited, nothing is duplicated, and every edit that did not survive is
// in the conflict log. Seeded and bounded; seeds and rounds are printed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { toCustomerp } from "customerp-chargebee";
import { live, setup, total, writes } from "./helpers.mjs";
import { DEMO_OPTIONS } from "../src/local/servers.mjs";

const SEEDS = [3, 17, 2026, 4242, 90210];
const ROUNDS = 12;

/** mulberry32: a small seeded generator, the same sequence everywhere. @param {number} seed */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    below: (/** @type {number} */ n) => Math.floor(next() * n),
    /** @template T @param {T[]} xs @returns {T} */
    pick: (xs) => xs[Math.floor(next() * xs.length)],
  };
}

const NAMES = ["Åse", "Jürgen", "Zoë", "Łukasz", "太郎", "François"];
const NOTES = ["Levér før påske", "Ring først – 電話", "Porten er låst", "Bitte klingeln"];
const TRACKING = ["TRK-1", "JP-77", "Ø-42"];
const DESCRIPTIONS = ["Håndlaget", "Nytt innhold – 新しい", "Refurbished"];
const SKUS = ["TEA-SENCHA-1KG", "TEA-SENCHA-1KG-B", "SUPPORT-HOUR", "SKU-Ø"];
const CP_STATUSES = ["confirmed", "on_hold", "awaiting_shipment", "shipped", "delivered", "cancelled"];
const CB_STATUSES = ["queued", "on_hold", "awaiting_shipment", "shipped", "delivered"];
const LINE_STATUSES = ["queued", "awaiting_shipment", "shipped", "delivered"];

/**
 * @typedef {{ side: "customerp" | "chargebee", flow: string, cp: string, cb: string, property: string, line?: number,
 *   value: unknown, was?: unknown, read: () => Promise<unknown> }} Edit
 */

test("random edits on both sides over HTTP converge, with every lost edit reported", async () => {
  for (const seed of SEEDS) {
    const t = await setup();
    const r = rng(seed);
    let edits = 0;
    let conflicts = 0;
    try {
      await t.host.sync.run();
      await t.host.sync.run();
      const store = t.host.store;
      const site = t.servers.chargebee.site;
      const cb = t.host.chargebee;
      const cp = t.host.customerp;
      /** @returns {any} */
      const cbOrder = (/** @type {string} */ id) => site.tables.order.get(id)?.data;
      /** @type {Set<string>} Customerp orders deleted, by number */
      const deletedNumbers = new Set();
      for (let round = 0; round < ROUNDS; round++) {
        const ctx = `seed ${seed} round ${round}`;
        const pairs = async (/** @type {string} */ flow) => Object.entries(await store.linksOf(flow)).map(([a, b]) => ({ cp: String(a), cb: String(b) }));
        // One pair of each kind per round, so that both sides often edit the same record (and property).
        const focus = (/** @type {{ cp: string, cb: string }[]} */ xs) => (xs.length ? [r.pick(xs)] : []);
        const contacts = focus(await pairs("contact-customer"));
        const allOrders = (await pairs("order-order")).filter((p) => cbOrder(p.cb));
        const orders = focus(allOrders);
        const products = focus(await pairs("product-item"));
        /** @type {Edit[]} */
        const made = [];
        /** @type {Set<string>} pairs a delete or cancel touched this round: their other edits may lose to it */
        const ended = new Set();
        const n = 3 + r.below(5);
        /** What each edited value was when the round began. @type {Map<string, unknown>} */
        const start = new Map();
        /** Makes an edit, remembering the value it replaced. @param {Edit} e @param {() => Promise<unknown>} write */
        const edit = async (e, write) => {
          const key = `${e.side} ${e.cp} ${e.property} ${e.line ?? ""}`;
          if (!start.has(key)) start.set(key, await e.read());
          await write();
          made.push({ ...e, was: start.get(key) });
        };
        for (let i = 0; i < n; i++) {
          const kind = r.below(10);
          if (kind === 0 && contacts.length) {
            const p = r.pick(contacts), v = r.pick(NAMES);
            await edit({ side: "customerp", flow: "contact-customer", ...p, property: "first_name", value: v,
              read: async () => (await cp.get("contacts", p.cp))?.record.first_name }, () => cp.update("contacts", p.cp, { first_name: v }));
          } else if (kind === 1 && contacts.length) {
            const p = r.pick(contacts), v = r.pick(NAMES);
            await edit({ side: "chargebee", flow: "contact-customer", ...p, property: "first_name", value: v,
              read: async () => site.tables.customer.get(p.cb)?.data.first_name }, () => cb.send("POST", `/customers/${p.cb}`, { first_name: v }));
          } else if (kind === 2 && products.length) {
            const p = r.pick(products), v = r.pick(DESCRIPTIONS);
            await edit({ side: "customerp", flow: "product-item", ...p, property: "description", value: v,
              read: async () => (await cp.get("products", p.cp))?.record.description }, () => cp.update("products", p.cp, { description: v }));
          } else if (kind === 3 && products.length) {
            const p = r.pick(products), v = r.pick(DESCRIPTIONS);
            await edit({ side: "chargebee", flow: "product-item", ...p, property: "description", value: v,
              read: async () => site.tables.item.get(p.cb)?.data.description }, () => cb.send("POST", `/items/${p.cb}`, { description: v }));
          } else if (kind === 4 && orders.length) {
            const p = r.pick(orders);
            const [property, field, pool] = r.pick([["note", "note", NOTES], ["tracking_number", "tracking_number", TRACKING], ["status", "status", CP_STATUSES]]);
            const v = r.pick(/** @type {string[]} */ (pool));
            if (field === "status" && v === "cancelled") ended.add(p.cp);
            await edit({ side: "customerp", flow: "order-order", ...p, property, value: v,
              read: async () => (await cp.get("orders", p.cp))?.record[field] }, () => cp.update("orders", p.cp, { [field]: v }));
          } else if (kind === 5 && orders.length) {
            const p = r.pick(orders);
            const order = cbOrder(p.cb);
            if (order.status === "cancelled") {
              await cb.send("POST", `/orders/${p.cb}/reopen`, {});
              ended.add(p.cp);
              continue;
            }
            const [property, field, pool] = r.pick([["note", "note", NOTES], ["tracking_number", "tracking_id", TRACKING], ["status", "status", CB_STATUSES]]);
            const v = r.pick(/** @type {string[]} */ (pool));
            await edit({ side: "chargebee", flow: "order-order", ...p, property, value: v, read: async () => cbOrder(p.cb)?.[field] }, () => cb.send("POST", `/orders/${p.cb}`, { [field]: v }));
          } else if (kind === 6 && orders.length) {
            // A line's sku or status, in Customerp.
            const p = r.pick(orders);
            const rec = /** @type {any} */ ((await cp.get("orders", p.cp))?.record);
            const k = r.below(rec.lines.length);
            const [field, pool] = r.pick([["sku", SKUS], ["status", LINE_STATUSES]]);
            const v = r.pick(pool);
            const lines = rec.lines.map((/** @type {any} */ l, /** @type {number} */ j) => (j === k ? { ...l, [field]: v } : l));
            const id = rec.lines[k].id;
            await edit({ side: "customerp", flow: "order-order", ...p, property: `lines.${field}`, line: k, value: v,
              read: async () => (await cp.get("orders", p.cp))?.record.lines.find((/** @type {any} */ l) => l.id === id)?.[field] }, () => cp.update("orders", p.cp, { lines }));
          } else if (kind === 7 && orders.length) {
            // A line's sku or status, in Chargebee.
            const p = r.pick(orders);
            const line = r.pick(cbOrder(p.cb).order_line_items);
            const [field, pool] = r.pick([["sku", SKUS], ["status", LINE_STATUSES]]);
            const v = r.pick(pool);
            await edit({ side: "chargebee", flow: "order-order", ...p, property: `lines.${field}`, line: cbOrder(p.cb).order_line_items.indexOf(line), value: v,
              read: async () => cbOrder(p.cb)?.order_line_items.find((/** @type {any} */ l) => l.id === line.id)?.[field] }, () => cb.send("POST", `/orders/${p.cb}`, { order_line_items: [{ id: line.id, [field]: v }] }));
          } else if (kind === 8 && orders.length) {
            const p = r.pick(orders);
            if (cbOrder(p.cb).status !== "cancelled") {
              await cb.send("POST", `/orders/${p.cb}/cancel`, { cancellation_reason: r.pick(["product_unsatisfactory", "others"]) });
              ended.add(p.cp);
            }
          } else if (kind === 9 && orders.length && allOrders.length > 1 && r.below(2) === 0) {
            const p = r.pick(orders);
            deletedNumbers.add((await cp.get("orders", p.cp))?.record.number);
            await cp.remove("orders", p.cp);
            ended.add(p.cp);
          }
        }
        // The last edit of each value counts, unless it put back what the round began with.
        const last = [...new Map(made.map((e) => [`${e.side} ${e.cp} ${e.property} ${e.line ?? ""}`, e])).values()].filter((e) => e.was !== e.value);
        edits += last.length;
        const first = await t.host.sync.run();
        const second = await t.host.sync.run();
        const errors = (await store.logEntries({ kind: "error" })).filter((e) => e.run >= first.run);
        assert.deepEqual(errors, [], `${ctx}: errors`);
        assert.equal(writes(second), 0, `${ctx}: syncing again writes: ${JSON.stringify(second.requests)}`);
        assert.equal(total(second, "conflicts"), 0, ctx);
        const logged = [...await store.logEntries({ run: first.run, kind: "conflict" }), ...await store.logEntries({ run: second.run, kind: "conflict" })];
        conflicts += logged.length;

        // The two sides agree on every property this simulation edits.
        for (const p of await pairs("contact-customer")) {
          const a = (await cp.get("contacts", p.cp))?.record, b = site.tables.customer.get(p.cb)?.data;
          if (a && b && !a.deleted) assert.equal(a.first_name, b.first_name, `${ctx}: contact ${p.cp} first_name`);
        }
        for (const p of await pairs("product-item")) {
          const a = (await cp.get("products", p.cp))?.record, b = site.tables.item.get(p.cb)?.data;
          if (a && b && !a.deleted) assert.equal(a.description ?? undefined, b.description ?? undefined, `${ctx}: product ${p.cp} description`);
        }
        for (const p of await pairs("order-order")) {
          const a = (await cp.get("orders", p.cp))?.record, b = cbOrder(p.cb);
          if (!a || !b || a.deleted) continue;
          const mapped = toCustomerp("order-order", b, DEMO_OPTIONS);
          for (const f of ["status", "note", "tracking_number"]) assert.equal(a[f] ?? null, mapped[f] ?? null, `${ctx}: order ${p.cp} ${f}`);
          const lines = (/** @type {any[]} */ ls) => ls.map((l) => `${l.sku ?? ""}/${l.status ?? ""}`).sort();
          assert.deepEqual(lines(a.lines), lines(b.order_line_items), `${ctx}: order ${p.cp} lines`);
        }
        // No twins: one live Customerp order per number, no deleted order back, one customer per tag.
        const cpOrders = (await cp.changes("orders", null)).records.filter((/** @type {any} */ o) => !o.deleted);
        const numbers = cpOrders.map((/** @type {any} */ o) => o.number);
        assert.equal(new Set(numbers).size, numbers.length, `${ctx}: twin orders ${numbers}`);
        for (const number of deletedNumbers) {
          const back = cpOrders.find((/** @type {any} */ o) => o.number === number);
          if (back) assert.ok((await store.logEntries({ kind: "conflict" })).some((c) => c.property === "deleted" && c.customerp_id === String(back.id)), `${ctx}: deleted ${number} came back`);
        }
        const tags = live(site, "customer").map((c) => c.meta_data?.customerp).filter(Boolean).map((g) => `${g.type}:${g.id}`);
        assert.equal(new Set(tags).size, tags.length, `${ctx}: twin customers`);

        // Every edit that did not survive is in the conflict log, under its pair and property.
        for (const e of last) {
          if (ended.has(e.cp)) continue; // lost to a delete or cancel of the pair: reported as that
          const now = await e.read();
          if (now === e.value) continue;
          const found = logged.some((c) => c.flow === e.flow && c.property === e.property && (c.customerp_id === e.cp || c.chargebee_id === e.cb));
          assert.ok(found, `${ctx}: ${e.side}'s edit of ${e.flow} ${e.cp} ${e.property} to ${JSON.stringify(e.value)} became ${JSON.stringify(now)} unreported: ${JSON.stringify(logged)}`);
        }
      }
      console.log(`host simulation: seed ${seed}, ${ROUNDS} rounds, ${edits} edits, ${conflicts} conflicts logged`);
    } finally {
      await t.close();
    }
  }
});
