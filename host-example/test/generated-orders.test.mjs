// Orders Chargebee makes itself: on a site that generates an order for each paid invoice's shippable
// lines (the emulator's order-generation.mjs, here also for payment_due invoices, as the site's order
// settings allow), the host with orders: "chargebee" makes the invoice alone and adopts the order
// Chargebee generated; with the default orders: "create" the generated second order is reported and
// never copied to Customerp. Every Customerp quote and order ends with exactly one linked Chargebee
// order, by polling, by webhooks, and after a crash between the invoice and the adoption.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { live, setup, stats, total, writes, crashOnce } from "./helpers.mjs";
import { DEMO_OPTIONS } from "../src/local/servers.mjs";
import { WebhookReceiver } from "../src/app/webhooks.mjs";
import { sleep } from "../src/lib/http.mjs";

/** @typedef {Record<string, any>} Json */

const GENERATING = { delayMs: 60, unpaidStatuses: ["payment_due"] };
const CHARGEBEE_MAKES = { ...DEMO_OPTIONS, orders: /** @type {const} */ ("chargebee") };

/** @param {Awaited<ReturnType<typeof setup>>} t */
const errors = async (t) => JSON.stringify(await t.host.store.logEntries({ kind: "error" }));

/** The site's live invoices and orders, and Customerp's live quotes and orders. @param {Awaited<ReturnType<typeof setup>>} t */
async function state(t) {
  const site = t.servers.chargebee.site;
  const cp = async (/** @type {string} */ type) => (await t.host.customerp.changes(type, null)).records.filter((/** @type {Json} */ r) => !r.deleted);
  return { invoices: live(site, "invoice"), orders: live(site, "order"), cpOrders: await cp("orders"), cpQuotes: await cp("quotes") };
}

/**
 * Exactly one Chargebee order per invoice, and each linked quote or order linked to a live order of its
 * own invoice; no Customerp order was made from an order the sync made or adopted.
 * @param {Awaited<ReturnType<typeof setup>>} t
 */
async function oneOrderEach(t) {
  const { invoices, orders, cpOrders } = await state(t);
  for (const inv of invoices) {
    const on = orders.filter((o) => o.invoice_id === inv.id);
    assert.ok(on.length <= 1, `invoice ${inv.id} (${inv.po_number}) has ${on.length} orders: ${JSON.stringify(on.map((o) => [o.id, o.order_type]))}`);
  }
  for (const flow of ["quote-order", "order-order"]) {
    for (const [cpId, cbId] of Object.entries(await t.host.store.linksOf(flow))) {
      const order = orders.find((o) => o.id === cbId);
      assert.ok(order, `${flow} ${cpId} is linked to live order ${cbId}`);
    }
  }
  const numbers = cpOrders.map((/** @type {Json} */ o) => o.number);
  assert.equal(new Set(numbers).size, numbers.length, `no twin Customerp order: ${numbers}`);
  // Each Chargebee order is linked to at most one Customerp record (a quote's order to its quote and the order made from it).
  for (const o of orders) {
    const flows = await t.host.store.flowsLinkingChargebee(o.id);
    assert.equal(new Set(flows).size, flows.length, `order ${o.id} is linked once per flow: ${flows}`);
  }
}

/** The JPY order of the demo (SO-2026-0108, a shippable tea): its invoice and the orders on it. @param {Awaited<ReturnType<typeof setup>>} t */
async function teaOrder(t) {
  const { invoices, orders } = await state(t);
  const invoice = invoices.filter((i) => i.po_number === "SO-2026-0108");
  assert.equal(invoice.length, 1, `one invoice for SO-2026-0108: ${invoice.map((i) => i.id)}`);
  return { invoice: invoice[0], orders: orders.filter((o) => o.invoice_id === invoice[0].id) };
}

test("orders: \"chargebee\" on a site that generates orders: the invoice alone, then Chargebee's order adopted; one order each, no twin", async () => {
  // Generated 3 s after the invoice: after the first run ends even on a loaded machine, so that run sees the wait.
  const t = await setup({ orders: { ...GENERATING, delayMs: 3000 }, options: CHARGEBEE_MAKES });
  try {
    const before = (await state(t)).cpOrders.length;
    const first = await t.host.sync.run();
    assert.equal(total(first, "errors"), 0, await errors(t));
    // The tea order made its invoice and waits for the order Chargebee generates for it.
    const wait = await t.host.store.orderWait("order-order", "2");
    const { invoice, orders: none } = await teaOrder(t);
    assert.equal(wait?.invoice_id, invoice.id);
    // Only the order Chargebee generates (60 ms after the invoice: on a loaded machine, before this run ends).
    assert.deepEqual(none.filter((/** @type {Json} */ o) => o.order_type !== "system_generated"), [], "no POST /orders for it");
    assert.equal(await t.host.store.linkByCustomerp("order-order", "2"), undefined);
    assert.ok((await t.host.sync.inbox.list({ kind: "waiting" })).some((i) => i.customerpId === "2" && i.message.includes(`invoice ${invoice.id}`)));
    // Quote 1 sells a service: Chargebee generates no order for its invoice, so the sync creates it.
    assert.equal(t.servers.chargebee.site.tables.order.get("cp-quote-1")?.data.order_type, "manual");
    assert.equal((await t.host.store.linkByCustomerp("order-order", "1"))?.chargebee_id, "cp-quote-1", "order 1 took over its quote's order");

    await t.servers.chargebee.orders.idle();
    const second = await t.host.sync.run();
    assert.equal(total(second, "errors"), 0, await errors(t));
    const { orders: [order, ...more] } = await teaOrder(t);
    assert.deepEqual(more, []);
    assert.equal(order.order_type, "system_generated");
    assert.equal((await t.host.store.linkByCustomerp("order-order", "2"))?.chargebee_id, order.id, "adopted: linked by Chargebee's id");
    assert.equal(await t.host.store.orderWait("order-order", "2"), undefined);
    // Written as after any create: reference, status, dates, tracking and the line's sku.
    assert.deepEqual([order.reference_id, order.status, order.tracking_id, order.shipment_carrier], ["SO-2026-0108", "shipped", "JP123456789", "Yamato"]);
    assert.deepEqual(order.order_line_items.map((/** @type {Json} */ l) => [l.sku, l.status]), [["TEA-SENCHA-1KG", "shipped"]]);
    assert.equal(stats(second)["order-order"].created.customerp, 0, "never copied to Customerp as an order of its own");
    assert.ok(!(await t.host.sync.inbox.list({ kind: "waiting" })).some((i) => i.customerpId === "2" && i.state === "open"), "the waiting item closed itself");
    const after = (await state(t)).cpOrders.length;
    assert.equal(after, before + 1, "only the order Chargebee had before the sync (1187) became a Customerp order");
    await oneOrderEach(t);
    assert.equal(writes(await t.host.sync.run()), 0);
  } finally {
    await t.close();
  }
});

test("an order made from a quote waits with it, then takes over the order Chargebee generated for the quote", async () => {
  const t = await setup({ orders: GENERATING, options: CHARGEBEE_MAKES });
  try {
    const cp = t.host.customerp;
    const line = { id: "1", product_id: "4", sku: "TEA-SENCHA-1KG", description: "Sencha tea 1 kg (煎茶)", quantity: 2, unit_price: "4800", vat_rate: "8" };
    const quote = await cp.create("quotes", { number: "Q-2026-0090", customer_id: "3", contact_id: "3", status: "accepted", currency: "JPY",
      quote_date: "2026-03-10", lines: [line], total_net: "9600", total: "10368" }, "generated-quote");
    const order = await cp.create("orders", { number: "SO-2026-0190", quote_id: String(quote.id), customer_id: "3", contact_id: "3", status: "confirmed",
      currency: "JPY", order_date: "2026-03-11", lines: [{ ...line, status: "queued" }], total_net: "9600", total: "10368" }, "generated-order");
    await t.host.sync.run();
    assert.ok((await t.host.store.orderWait("quote-order", String(quote.id)))?.invoice_id, "the quote's invoice is made");
    assert.equal(await t.host.store.linkByCustomerp("order-order", String(order.id)), undefined, "the order waits with its quote: no invoice of its own");
    await t.servers.chargebee.orders.idle();
    for (let run = 0; run < 2; run++) assert.equal(total(await t.host.sync.run(), "errors"), 0, await errors(t));
    const { invoices, orders } = await state(t);
    assert.equal(invoices.filter((i) => i.po_number === "SO-2026-0190").length, 0, "no invoice for the order itself");
    const invoice = invoices.filter((i) => i.po_number === "Q-2026-0090");
    assert.equal(invoice.length, 1);
    const [generated, ...more] = orders.filter((o) => o.invoice_id === invoice[0].id);
    assert.deepEqual(more, []);
    assert.equal(generated.order_type, "system_generated");
    assert.equal((await t.host.store.linkByCustomerp("quote-order", String(quote.id)))?.chargebee_id, generated.id);
    assert.equal((await t.host.store.linkByCustomerp("order-order", String(order.id)))?.chargebee_id, generated.id, "taken over");
    assert.equal(generated.reference_id, "SO-2026-0190");
    await oneOrderEach(t);
    assert.equal(writes(await t.host.sync.run()), 0);
  } finally {
    await t.close();
  }
});

test("orders: \"create\" (the default) on a site that generates orders: the generated second order is reported, never copied", async () => {
  const t = await setup({ orders: GENERATING });
  try {
    const before = (await state(t)).cpOrders.length;
    await t.host.sync.run();
    await t.servers.chargebee.orders.idle();
    const { orders } = await teaOrder(t);
    assert.deepEqual(orders.map((o) => o.order_type).sort(), ["manual", "system_generated"], "the site made a second order for the invoice");
    const twin = /** @type {Json} */ (orders.find((o) => o.order_type === "system_generated"));
    const s = await t.host.sync.run();
    assert.equal(total(s, "errors"), 0, await errors(t));
    assert.equal((await t.host.store.linkByCustomerp("order-order", "2"))?.chargebee_id, "cp-order-2", "the pair keeps the order the sync made");
    assert.equal((await t.host.store.flowsLinkingChargebee(twin.id)).length, 0);
    const after = await state(t);
    assert.equal(after.cpOrders.length, before + 1, "no twin Customerp order (only 1187's)");
    const item = (await t.host.sync.inbox.list({ kind: "manual" })).find((i) => i.chargebeeId === twin.id);
    assert.ok(item && item.message.includes('orders: "chargebee"') && item.message.includes("cp-order-2"), JSON.stringify(item));
    const again = await t.host.sync.run();
    assert.equal(writes(again), 0);
    assert.equal((await state(t)).cpOrders.length, before + 1);
  } finally {
    await t.close();
  }
});

test("orders: \"chargebee\" on a site that generates none: the record waits, reported, and no second invoice is made", async () => {
  const t = await setup({ options: CHARGEBEE_MAKES });
  try {
    for (let run = 0; run < 3; run++) assert.equal(total(await t.host.sync.run(), "errors"), 0, await errors(t));
    const { orders } = await teaOrder(t);
    assert.deepEqual(orders, []);
    assert.ok((await t.host.sync.inbox.list({ kind: "waiting" })).some((i) => i.customerpId === "2" && i.state === "open"));
  } finally {
    await t.close();
  }
});

for (const [when, hook] of /** @type {const} */ ([["after the invoice request, before its id is stored", "afterChargebeeRequest"], ["after the invoice, before the adoption", "afterChargebeeWrite"]])) {
  test(`a crash ${when}: no second invoice, no twin, the generated order adopted`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "cpcb-generated-"));
    const db = join(dir, "sync.db");
    const crash = crashOnce((/** @type {{ flow: string, plan: import("customerp-chargebee").Plan }} */ e) => e.flow === "order-order" && e.plan.chargebee.action === "create" && !e.plan.chargebee.id);
    const t = await setup({ orders: GENERATING, options: CHARGEBEE_MAKES, db, hooks: { [hook]: crash } });
    try {
      const before = (await state(t)).cpOrders.length;
      await assert.rejects(t.host.sync.run(), /simulated crash/);
      assert.equal((await t.host.store.orderWait("order-order", "2"))?.invoice_id ?? null, hook === "afterChargebeeRequest" ? null : (await teaOrder(t)).invoice.id);
      await t.servers.chargebee.orders.idle(); // Chargebee generated the order meanwhile
      await t.host.store.close();
      const restarted = await t.connect({ db, hooks: {} });
      for (let run = 0; run < 3; run++) {
        const s = await restarted.sync.run();
        assert.equal(total(s, "errors"), 0, JSON.stringify(await restarted.store.logEntries({ kind: "error" })));
        await t.servers.chargebee.orders.idle();
      }
      const { orders: [order, ...more] } = await teaOrder(t);
      assert.deepEqual(more, []);
      assert.equal((await restarted.store.linkByCustomerp("order-order", "2"))?.chargebee_id, order.id);
      assert.equal(order.reference_id, "SO-2026-0108");
      assert.equal((await state(t)).cpOrders.length, before + 1, "no twin Customerp order");
      assert.equal(writes(await restarted.sync.run()), 0);
      await restarted.store.close();
      t.host.store = restarted.store; // closed already: close() below must not fail on it
    } finally {
      await t.servers.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("through webhooks alone: Chargebee's order_created names the generated order and the host adopts it", async () => {
  const t = await setup({ orders: GENERATING, options: CHARGEBEE_MAKES, webhooks: { retryDelaysMs: [100, 200, 400], timeoutMs: 2000 } });
  const user = "cb-hooks";
  const password = "pässwörd-orders-0123456789";
  const receiver = new WebhookReceiver({ sync: t.host.sync, chargebee: { username: user, password }, reconcileMs: 0 });
  try {
    const { url } = await receiver.start();
    t.servers.chargebee.webhooks.addEndpoint({ url: `${url}/webhooks/chargebee`, username: user, password });
    await receiver.poll(); // the first sync: the tea order's invoice, and its wait
    assert.equal(await t.host.store.linkByCustomerp("order-order", "2"), undefined);
    const end = Date.now() + 8000;
    while (!await t.host.store.linkByCustomerp("order-order", "2") && Date.now() < end) {
      await t.servers.chargebee.orders.idle();
      await t.servers.chargebee.webhooks.idle();
      await receiver.idle();
      await sleep(20);
    }
    const { orders: [order, ...more] } = await teaOrder(t);
    assert.deepEqual(more, []);
    assert.equal((await t.host.store.linkByCustomerp("order-order", "2"))?.chargebee_id, order.id, "adopted through its order_created event, no poll");
    assert.equal(order.reference_id, "SO-2026-0108");
    assert.equal(receiver.stats.errors, 0);
    await oneOrderEach(t);
  } finally {
    await receiver.close();
    await t.close();
  }
});
