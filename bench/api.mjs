// API economy: the requests the host example (host-example/) sends, counted by method and path at
// its Chargebee emulator and Customerp server on loopback, for
//   - an initial sync of N contacts, N products and N orders (5 lines) into an empty Chargebee site,
//   - a rerun with no change,
//   - edits touching k fields of one record, on either side.
// Needs host-example/ with its node_modules (host-example/scripts/test.sh installs them).
//
//   node bench/api.mjs [--records 250]
import fs from "node:fs";
import path from "node:path";
import { contact, order, product } from "./lib/gen.mjs";
import { log, writeRows } from "./lib/stats.mjs";

const HERE = path.dirname(new URL(import.meta.url).pathname);
const HOST = path.join(HERE, "..", "host-example");
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const N = Number(args.records ?? 250);
const rows = [];

const local = path.join(HOST, "src", "local", "servers.mjs");
// Skipped only without host-example or its node_modules; a host-example whose files moved fails here.
if (!fs.existsSync(HOST) || !fs.existsSync(path.join(HOST, "node_modules", "customerp-chargebee"))) {
  log("api: host-example (with its node_modules) is not there: API economy skipped");
  writeRows("api", [{ area: "api", what: "API economy through host-example", value: "skipped", spread: "host-example/ not installed",
    ratio: "", goal: "", met: null }]);
  process.exit(0);
}
const { startLocalServers, localSync } = await import(local);
const catalog = await import(path.join(HOST, "src", "local", "chargebee-emulator", "catalog.mjs"));
const billing = await import(path.join(HOST, "src", "local", "chargebee-emulator", "billing.mjs"));

const FAMILY = "bench-products";
const options = { itemFamilyId: FAMILY, timeZone: "Europe/Oslo" };
const ACTIONS = new Set(["create_for_charge_items_and_charges"]);
const pathKey = (method, p) =>
  `${method} ${p.replace(/\/(customers|items|item_prices|orders|invoices|events|contacts|products|employees|quotes|customers)\/([^/]+)/g,
    (m, type, id) => (ACTIONS.has(id) ? m : `/${type}/:id`))}`;

/** Both servers, empty but for an item family, and a host with its own store. */
async function start() {
  const servers = await startLocalServers({ seed: false, rateLimit: { limit: 1_000_000, windowMs: 60_000 } });
  catalog.createItemFamily(servers.chargebee.site, { id: FAMILY, name: "Bench products" });
  const host = await localSync({ chargebeeUrl: servers.chargebee.url, customerpUrl: servers.customerp.url, options });
  /** Requests of one run, by "METHOD /path/:id", on each side. */
  async function run(label) {
    const cb0 = servers.chargebee.requests.length;
    const cp0 = servers.customerp.requests.length;
    const t0 = Date.now();
    const summary = await host.sync.run();
    const errors = Object.values(summary.flows).reduce((n, f) => n + (f.errors ?? 0), 0);
    const by = (reqs) => {
      const m = new Map();
      for (const r of reqs) m.set(pathKey(r.method, r.path), (m.get(pathKey(r.method, r.path)) ?? 0) + 1);
      return m;
    };
    const cb = by(servers.chargebee.requests.slice(cb0));
    const cp = by(servers.customerp.requests.slice(cp0));
    log(`api: ${label}: ${((Date.now() - t0) / 1000).toFixed(1)} s, ${errors} errors`);
    for (const [k, v] of [...cb].sort()) log(`    chargebee ${k}: ${v}`);
    for (const [k, v] of [...cp].sort()) log(`    customerp ${k}: ${v}`);
    if (errors) throw new Error(`${label}: ${errors} errors in the host's run`);
    return { cb, cp, summary };
  }
  return { servers, host, run, db: servers.customerp.db, site: servers.chargebee.site,
    close: async () => { await host.store.close(); await servers.close(); } };
}

const sum = (m, pred) => [...m].filter(([k]) => pred(k)).reduce((s, [, v]) => s + v, 0);
const isRead = (k) => k.startsWith("GET");
const writesOf = (m) => sum(m, (k) => !isRead(k));
const list = (m, keys) => keys.map((k) => `${k.replace(/^GET /, "")} ${m.get(k) ?? 0}`).join(", ");
const nonLists = (m) => [...m].filter(([k]) => isRead(k) && k.includes(":id"));
const need = Math.ceil(N / 100);

// ---- A. Customerp → an empty Chargebee site ---------------------------------------------------------
{
  const A = await start();
  // N contacts, N products (charges in NOK: orders are invoiced in NOK) and N orders of 5 lines over them.
  for (let i = 0; i < N; i++) {
    A.db.put("contacts", { ...contact(i), id: String(i + 1), customer_id: null });
    const p = product(i);
    delete p.billing_period_unit;
    delete p.billing_period;
    A.db.put("products", { ...p, id: String(i + 1), kind: i % 2 ? "goods" : "service", currency: "NOK" });
  }
  for (let i = 0; i < N; i++) {
    const o = order(i);
    A.db.put("orders", { ...o, id: String(i + 1), contact_id: String(i + 1),
      lines: o.lines.map((l, k) => { const p = (i * 5 + k * 7) % N; return { ...l, product_id: String(p + 1), sku: product(p).sku }; }) });
  }
  const r = await A.run(`A. initial sync of ${N} contacts, ${N} products, ${N} orders from Customerp`);
  const perFlow = [
    ["contact-customer", ["POST /customers"], 1, "customer"],
    ["product-item", ["POST /items", "POST /item_prices"], 2, "item + item price"],
    // POST /orders takes no order date, status or line statuses: a third request, POST /orders/:id, sets them
    // (Chargebee's line ids exist only once the order does).
    ["order-order", ["POST /invoices/create_for_charge_items_and_charges", "POST /orders"], 3, "invoice + order + the rows POST /orders cannot set"],
  ];
  for (const [flow, paths, resources, what] of perFlow) {
    const creates = paths.reduce((s, p) => s + (r.cb.get(p) ?? 0), 0);
    const updates = flow === "order-order" ? r.cb.get("POST /orders/:id") ?? 0 : 0;
    const total = creates + updates;
    rows.push({ area: "api", what: `initial sync Customerp → Chargebee, ${flow}: Chargebee writes for ${N} records`, value: `${total}`,
      spread: [...paths, ...(updates ? ["POST /orders/:id"] : [])].map((p) => `${p} ${r.cb.get(p) ?? 0}`).join(", "),
      ratio: `${(total / N).toFixed(2)} per record`, goal: `Chargebee's floor (${what}: ${resources} per record)`,
      met: total === resources * N });
  }
  rows.push({ area: "api", what: `initial sync Customerp → Chargebee: Customerp list reads (${N} records each)`,
    value: list(r.cp, ["GET /api/contacts", "GET /api/products", "GET /api/orders"]), spread: "",
    ratio: "", goal: `⌈N/100⌉ = ${need} per type`, met: ["contacts", "products", "orders"].every((t) => (r.cp.get(`GET /api/${t}`) ?? 0) <= need) });
  const byId = [...nonLists(r.cb), ...nonLists(r.cp)];
  const byIdCount = byId.reduce((n, [, v]) => n + v, 0);
  // The floor: an order's id before its invoice is made (a retried invoice older than Chargebee's 30 minutes of
  // idempotency would be a twin; the order's id is deterministic, so its presence says the create got that far),
  // and a Customerp record before its update (lists carry no ETag; the read gives the If-Match). One each per order.
  const orderChecks = (r.cb.get("GET /orders/:id") ?? 0) + (r.cp.get("GET /api/orders/:id") ?? 0);
  rows.push({ area: "api", what: "initial sync Customerp → Chargebee: reads by id (an order id before its create, a Customerp record before its update)",
    value: `${byIdCount}`, spread: byId.map(([k, v]) => `${k} ${v}`).join(", "),
    ratio: `${(byIdCount / (3 * N)).toFixed(2)} per record`,
    goal: "the floor: 2 per order (its id before the invoice: Chargebee keeps idempotency keys 30 minutes; the Customerp order's ETag for If-Match: lists carry none), again for a check older than 250 ms at its write; none for contacts and products",
    met: byIdCount === orderChecks });
  rows.push({ area: "api", what: "initial sync Customerp → Chargebee: Customerp writes", value: `${writesOf(r.cp)}`,
    spread: [...r.cp].filter(([k]) => !isRead(k)).map(([k, v]) => `${k} ${v}`).join(", ") + " (an order's empty delivery date takes Chargebee's shipping date)",
    ratio: "", goal: "", met: null });
  const all = sum(r.cb, () => true) + sum(r.cp, () => true);
  rows.push({ area: "api", what: "initial sync Customerp → Chargebee: all requests, both systems", value: `${all}`,
    spread: `${writesOf(r.cb)} Chargebee writes, ${sum(r.cb, isRead)} Chargebee reads, ${writesOf(r.cp)} Customerp writes, ${sum(r.cp, isRead)} Customerp reads`,
    ratio: `${(all / (3 * N)).toFixed(2)} per created record`, goal: "", met: null });

  // The next run reads back what the creates changed in Chargebee.
  const r2 = await A.run("A. second run (reads back the created records)");
  rows.push({ area: "api", what: `second run: Chargebee list reads of the ${N} created records per type`,
    value: list(r2.cb, ["GET /customers", "GET /items", "GET /item_prices", "GET /orders"]),
    spread: `${writesOf(r2.cb) + writesOf(r2.cp)} writes; item prices are listed twice: changed prices, then the prices of changed items`, ratio: "", goal: `⌈N/100⌉ = ${need} per type`,
    met: ["/customers", "/items", "/item_prices", "/orders"].every((t) => (r2.cb.get(`GET ${t}`) ?? 0) <= need) });

  const r3 = await A.run("A. rerun with no change");
  rows.push({ area: "api", what: "rerun with no change", value: `${writesOf(r3.cb) + writesOf(r3.cp)} writes`,
    spread: `${sum(r3.cb, isRead)} Chargebee reads, ${sum(r3.cp, isRead)} Customerp reads`,
    ratio: "", goal: "0 writes", met: writesOf(r3.cb) + writesOf(r3.cp) === 0 });

  // Edits of k fields of one record, on either side.
  const cpAddress = (id) => A.db.get("contacts", id).record.address;
  const cbCustomer = (n) => `cp-contact-${n}`;
  const edits = [
    ["contact, 1 core field (Customerp)", () => A.db.update("contacts", "1", { last_name: "Berg-Hansen" }), 1],
    ["contact, 3 core fields (Customerp)", () => A.db.update("contacts", "2", { first_name: "Kari", phone: "+47 22 11 22 33", language: "en" }), 1],
    ["contact, 2 billing fields (Customerp)", () => A.db.update("contacts", "3", { address: { ...cpAddress("3"), city: "Trondheim", postal_code: "7010" } }), 1],
    ["contact, 1 core + 1 billing field (Customerp)", () => A.db.update("contacts", "4", { last_name: "Lie", address: { ...cpAddress("4"), city: "Tromsø" } }), 2],
    ["customer, 2 core + 1 billing field (Chargebee)", () => {
      A.site.updateCustomer(cbCustomer(5), { first_name: "Eva", phone: "+47 99 88 77 66" });
      const { line1, zip, country } = A.site.find("customer", cbCustomer(5)).billing_address;
      A.site.updateBillingInfo(cbCustomer(5), { billing_address: { line1, zip, country, city: "Bodø" } });
    }, 1],
    ["product, price (Customerp)", () => A.db.update("products", "1", { price: "999.00" }), 1],
    ["product, description (Customerp)", () => A.db.update("products", "2", { description: "Ny beskrivelse" }), 1],
    ["product, name + price (Customerp)", () => A.db.update("products", "3", { name: "Nytt navn 3", price: "12.50" }), 2],
    ["order, status + tracking number (Customerp)", () => A.db.update("orders", "1", { status: "shipped", tracking_number: "TRK-1" }), 1],
  ];
  for (const [label, edit, goal] of edits) {
    edit();
    const e = await A.run(`edit: ${label}`);
    const w = writesOf(e.cb) + writesOf(e.cp);
    rows.push({ area: "api", what: `edit: ${label}`, value: `${w} write${w === 1 ? "" : "s"}`,
      spread: [...e.cb, ...e.cp].filter(([k]) => !isRead(k)).map(([k, v]) => `${k} ${v}`).join(", ") +
        `; reads: ${sum(e.cb, isRead)} Chargebee (${nonLists(e.cb).reduce((n, [, v]) => n + v, 0)} by id), ${sum(e.cp, isRead)} Customerp`,
      ratio: `${w} per changed record`, goal: `${goal} request${goal === 1 ? "" : "s"}${goal === 2 ? " (two resources or core + billing)" : ""}`,
      met: w === goal });
  }
  await A.close();
}

// ---- B. Chargebee → an empty Customerp --------------------------------------------------------------
{
  const B = await start();
  for (let i = 0; i < N; i++) {
    const c = contact(i);
    // As the API receives them: form values are strings.
    B.site.createCustomer({ id: `cb-${i}`, first_name: c.first_name, last_name: c.last_name, email: c.email, phone: c.mobile,
      company: c.customer_name, billing_address: { line1: c.address.street_1, zip: c.address.postal_code, city: c.address.city,
        country: c.address.country } });
    const p = product(i);
    catalog.createItem(B.site, { id: p.sku, name: p.name, type: "charge", item_family_id: FAMILY, description: p.description, unit: "pcs" });
    catalog.createItemPrice(B.site, { id: `${p.sku}-NOK`, name: `${p.sku}-NOK`, item_id: p.sku, pricing_model: "flat_fee",
      price: String(100 + i), currency_code: "NOK" });
  }
  const r = await B.run(`B. initial sync of ${N} customers and ${N} items from Chargebee`);
  const lists = ["GET /customers", "GET /items", "GET /item_prices"];
  rows.push({ area: "api", what: `initial sync Chargebee → Customerp: Chargebee list reads (${N} records each)`,
    value: list(r.cb, lists), spread: "GET /item_prices also counts one read per item the host re-reads by id",
    ratio: "", goal: `⌈N/100⌉ = ${need} per type`, met: lists.every((t) => (r.cb.get(t) ?? 0) <= need) });
  const byId = [...nonLists(r.cb), ...nonLists(r.cp)];
  const byIdCount = byId.reduce((n, [, v]) => n + v, 0);
  rows.push({ area: "api", what: "initial sync Chargebee → Customerp: reads by id (the host's checks)", value: `${byIdCount}`,
    spread: byId.map(([k, v]) => `${k} ${v}`).join(", "), ratio: `${(byIdCount / (2 * N)).toFixed(2)} per record`,
    goal: "the floor: 1 per Chargebee update (the check of its target right before the write: Chargebee has no conditional update), none in Customerp (a create's answer is the record)",
    met: byIdCount === writesOf(r.cb) && nonLists(r.cp).length === 0 });
  const cpW = [...r.cp].filter(([k]) => !isRead(k));
  const cbW = [...r.cb].filter(([k]) => !isRead(k));
  rows.push({ area: "api", what: `initial sync Chargebee → Customerp: writes for ${N} customers + ${N} items`,
    value: `${writesOf(r.cp) + writesOf(r.cb)}`,
    spread: cpW.map(([k, v]) => `${k} ${v}`).join(", ") + (cbW.length ? `; in Chargebee ${cbW.map(([k, v]) => `${k} ${v}`).join(", ")} (tags the customer meta_data.customerp with the new contact's id)` : ""),
    ratio: `${((writesOf(r.cp) + writesOf(r.cb)) / (2 * N)).toFixed(2)} per record`,
    goal: "1 per created record, and the tag that links a customer to its new contact (the flow's matching key)", met: writesOf(r.cp) === 2 * N && writesOf(r.cb) === N });
  await B.close();
}

writeRows("api", rows);
