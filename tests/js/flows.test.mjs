// The six flows through the npm package, as a host uses it: every row of the spec's tables mapped in its
// direction, creates both ways, linked edits, conflicts under each policy, same edits, convergence, batches
// and determinism. Every plan made here goes through helpers.mjs `plan` / `planBatch`, which check each
// Chargebee request against the official SDK (oracle.mjs) and compare encodeForm with the SDK's encoding.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { flows, toChargebee, toCustomerp, match, encodeForm } from "customerp-chargebee";
import {
  plan, planBatch, checked, patch, requests, quiet, applyChargebee, applyCustomerp, syncRounds,
} from "./helpers.mjs";
import { sdkEncodeForm, decodeForm } from "./oracle.mjs";

// ---- Customerp records ------------------------------------------------------------------------------------

const contact = () => ({
  id: "17", first_name: "Åse", last_name: "Ødegård-李", email: "ase.odegard@example.no",
  phone: "+47 22 00 00 00", mobile: "+47 900 00 000", job_title: "CFO", language: "nb-NO",
  customer_id: "C-5", customer_name: "Fjordkraft Ærø AS 🌊",
  address: { street_1: "Storgata 1", street_2: "3. etasje", street_3: "c/o Økonomi", postal_code: "0155",
             city: "Oslo", region: "Oslo", country: "NO" },
  is_active: true, created: "2026-01-05T09:00:00+01:00", updated: "2026-03-01T10:15:00+01:00", deleted: false,
  custom_field_from_connector: { kept: true },
});

const employee = () => ({
  id: 4, employee_number: "E-0004", first_name: "Jürgen", last_name: "Müller 😀", email: "jurgen.muller@example.com",
  phone: "+49 30 123456", job_title: "Entwickler", department: "F&E",
  address: { street_1: "Hauptstraße 5", street_2: "Hinterhaus", street_3: "2. OG", postal_code: "10115",
             city: "Berlin", region: "Berlin", country: "DE" },
  is_active: true, created: "2026-01-02T08:00:00Z", updated: "2026-02-01T08:00:00Z",
});

const erpCustomer = () => ({
  id: "C-5", name: "Fjordkraft Ærø AS 🌊", organization_number: "987654321", email: "post@fjordkraft.no",
  currency: "NOK", payment_terms_days: 14, is_active: true, created: "2026-01-01T00:00:00Z", updated: "2026-01-02T00:00:00Z",
});

const product = (sku, price, currency, extra = {}) => ({
  id: `P-${sku}`, sku, name: `Teekanne ${sku} – 李 ü`, description: "Håndlaget på Ærø 🍵", unit: "pcs", kind: "goods",
  price, currency, vat_rate: "10", is_active: true, created: "2026-01-01T00:00:00Z", updated: "2026-02-01T00:00:00Z",
  ...extra,
});

const quote = () => ({
  id: "42", number: "Q-2026-0042", customer_id: "C-5", contact_id: "17", status: "accepted", currency: "JPY",
  quote_date: "2026-03-02", valid_until: "2026-04-01", note: "Levering før påske 🐣", reference: "PO 李-7",
  delivery_address: { street_1: "Kaigata 3", street_2: "Bygg B", street_3: "c/o Ærø", postal_code: "5016",
                      city: "Bergen", region: "Vestland", country: "NO" },
  lines: [
    { id: "L1", product_id: "P-TEA-1", sku: "TEA-1", description: "Teekanne æøå", quantity: 2, unit_price: "1500" },
    { id: "L2", product_id: "P-CUP-2", sku: "CUP-2", description: "Kopp 李 😀", quantity: "3", unit_price: "480" },
  ],
  total_net: "4440", total_vat: "0", total: "4440",
  created: "2026-03-02T09:00:00+09:00", updated: "2026-03-02T10:00:00+09:00",
});

const erpOrder = () => ({
  id: "107", number: "SO-2026-0107", quote_id: null, customer_id: "C-5", contact_id: "17", status: "confirmed",
  currency: "NOK", order_date: "2026-03-05", delivery_date: "2026-03-09", shipped_at: null, delivered_at: null,
  cancelled_at: null, cancellation_reason: null, tracking_number: "TRK-0", tracking_url: "https://sporing.example/TRK-0",
  carrier: "Posten", note: "Ring på døra 🚪", reference: "Bestilling Ærø",
  delivery_address: { street_1: "Kaigata 3", street_2: "Bygg B", street_3: "c/o Ærø", postal_code: "5016",
                      city: "Bergen", region: "Vestland", country: "NO" },
  lines: [
    { id: "L1", product_id: "P-TEA-1", sku: "TEA-1", description: "Teekanne æøå", quantity: 2, unit_price: "1499.50", status: "queued" },
    { id: "L2", product_id: "P-CUP-2", sku: "CUP-2", description: "Kopp 李 😀", quantity: 1, unit_price: "99", status: "queued" },
  ],
  total_net: "3098.00", total_vat: "0", total: "3098.00",
  created: "2026-03-05T09:00:00+01:00", updated: "2026-03-05T10:00:00+01:00",
});

/** The parents' links quotes and orders need: their contact and their products. */
const orderLinks = () => ({
  "contact-customer": { 17: "cp-contact-17" },
  "product-item": { "P-TEA-1": "TEA-1", "P-CUP-2": "CUP-2" },
});

// ---- Chargebee records, as the API returns them (the shapes of the shared fixtures) ---------------------

const cbCustomer = () => ({
  id: "AzZiyeUbT8kq3bN1", first_name: "Alex", last_name: "Sample", email: "alex.sample@example.com",
  phone: "+1 555 010 0142", company: "Example Widgets Ltd", auto_collection: "on", net_term_days: 0,
  allow_direct_debit: false, created_at: 1741097351, created_from_ip: "203.0.113.24", taxability: "taxable",
  updated_at: 1741179520, locale: "en", pii_cleared: "active", channel: "web", resource_version: 1741179520318,
  deleted: false, object: "customer",
  billing_address: { first_name: "Alex", last_name: "Sample", email: "alex.sample@example.com", company: "Example Widgets Ltd",
    phone: "+1 555 010 0142", line1: "100 Example Street", line2: "Suite 200", city: "San Francisco", state_code: "CA",
    state: "California", country: "US", zip: "94107", validation_status: "not_validated", object: "billing_address" },
  card_status: "valid",
  balances: [{ promotional_credits: 0, excess_payments: 0, refundable_credits: 0, unbilled_charges: 2500,
               object: "customer_balance", currency_code: "USD", balance_currency_code: "USD" }],
  promotional_credits: 0, refundable_credits: 0, excess_payments: 0, unbilled_charges: 2500, preferred_currency_code: "USD",
  mrr: 0, primary_payment_source_id: "pm_AzZiyeUbT8mR4bN7",
  payment_method: { object: "payment_method", type: "card", reference_id: "tok_AzZiyeUbT8mQsbN6", gateway: "chargebee",
                    gateway_account_id: "gw_AzqK0aUbMzT1g3Db", status: "valid" },
  business_entity_id: "AzqK1mUbN2x1Q4Fa", tax_providers_fields: [], auto_close_invoices: true,
  meta_data: { crm_account_id: "ACCT-0042", segment: "smb" }, cf_account_tier: "gold",
});

const businessEntityEvent = () => ({
  id: "ev_AzyZlMUbN2x9K1Fd", occurred_at: 1735725600, source: "admin_console", user: "admin@example.com", object: "event",
  api_version: "v2",
  content: { business_entity: { id: "AzqK1mUbN2x1Q4Fa", name: "Example Widgets EU", status: "active", deleted: false,
    created_at: 1735725600, resource_version: 1735725600512, updated_at: 1735725600, object: "business_entity" } },
  event_type: "business_entity_created", webhook_status: "scheduled",
  webhooks: [{ id: "whv2_AzZiyeUbN1wQ72Kd", webhook_status: "scheduled", object: "webhook" }],
});

const cbItem = () => ({
  id: "onboarding-kit", name: "Onboarding Kit", external_name: "Onboarding Kit",
  description: "One-time onboarding hardware kit, shipped to the customer.", status: "active",
  resource_version: 1738335720417, updated_at: 1738335720, item_family_id: "example-widgets", type: "charge",
  is_shippable: true, is_giftable: false, enabled_for_checkout: true, enabled_in_portal: true, metered: false,
  channel: "web", metadata: {}, object: "item",
  item_prices: [{ id: "onboarding-kit-USD", name: "Onboarding Kit USD", item_family_id: "example-widgets",
    item_id: "onboarding-kit", status: "active", external_name: "Onboarding Kit", pricing_model: "flat_fee", price: 4900,
    currency_code: "USD", channel: "web", resource_version: 1738335790266, updated_at: 1738335790, created_at: 1738335790,
    is_taxable: true, item_type: "charge", show_description_in_invoices: false, show_description_in_quotes: false,
    object: "item_price" }],
});

const cbOrder = () => ({
  id: "1187", document_number: "ORD-1187", invoice_id: "1042", customer_id: "AzZiyeUbT8kq3bN1", status: "queued",
  payment_status: "paid", order_type: "system_generated", price_type: "tax_exclusive", order_date: 1741950216,
  shipping_date: 1741950216, created_by: "Auto generated by system", tax: 0, amount_paid: 4900, amount_adjusted: 0,
  refundable_credits_issued: 0, refundable_credits: 4900, rounding_adjustement: 0, paid_on: 1741950216, exchange_rate: 1.0,
  created_at: 1741950218, updated_at: 1741950218, is_resent: false, resource_version: 1741950218771, deleted: false,
  object: "order", discount: 0, sub_total: 4900,
  order_line_items: [{ id: "o_liAzZk8cUbTAmC52xR", invoice_id: "1042", invoice_line_item_id: "li_AzZk8cUbTAm9A2xM",
    unit_price: 4900, amount: 4900, fulfillment_quantity: 1, fulfillment_amount: 4900, tax_amount: 0, amount_paid: 4900,
    amount_adjusted: 0, refundable_credits_issued: 0, refundable_credits: 4900, is_shippable: true, status: "queued",
    object: "order_line_item", entity_id: "onboarding-kit-USD", discount_amount: 0, item_level_discount_amount: 0,
    description: "Onboarding Kit", entity_type: "charge_item_price" }],
  total: 4900, currency_code: "USD", base_currency_code: "USD", is_gifted: false,
  shipping_address: { first_name: "Alex", last_name: "Sample", email: "alex.sample@example.com", company: "Example Widgets Ltd",
    phone: "+1 555 010 0142", line1: "100 Example Street", line2: "Suite 200", city: "San Francisco", state_code: "CA",
    state: "California", country: "US", zip: "94107", validation_status: "not_validated", object: "shipping_address" },
  linked_credit_notes: [], resent_orders: [], business_entity_id: "AzqK1mUbN2x1Q4Fa",
});
const cbOrderLinks = () => ({ "contact-customer": { 17: "AzZiyeUbT8kq3bN1" }, "product-item": { "P-KIT-1": "onboarding-kit" } });

// ---- clocks -------------------------------------------------------------------------------------------------

const CP_EDIT = "2026-07-01T09:00:00+02:00"; // 1782889200
const CP_LATER = "2026-07-02T00:00:00Z"; // 1782950400
const CB_LATER = 1782900000; // after CP_EDIT, before CP_LATER
const CB_TIE = 1782889200; // = CP_EDIT

// ---- the flows, with one scenario of each kind ------------------------------------------------------------

const FLOWS = {
  "contact-customer": {
    options: {},
    customerp: contact,
    createRounds: 1,
    cpEdit: { patch: { last_name: "Ødegård-Berg 李" }, requests: [["/customers/cp-contact-17", { last_name: "Ødegård-Berg 李" }]] },
    cbEdit: { patch: { phone: "+47 400 00 000", locale: "sv-SE" }, changes: { phone: "+47 400 00 000", language: "sv-SE" } },
    conflict: { property: "first_name", cp: { first_name: "Åsa" }, cb: { first_name: "Aase" }, base: "Åse",
      customerp: "Åsa", chargebee: "Aase",
      cpWins: [["/customers/cp-contact-17", { first_name: "Åsa" }]], cbWins: { first_name: "Aase" } },
    same: { cp: { email: " Ny.Adresse@Example.NO " }, cb: { email: "ny.adresse@example.no" } },
    other: { cp: { phone: "+47 23 00 00 00" }, cb: { phone: "+47 23 00 00 00" } },
  },
  "employee-customer": {
    options: { ownCompanyName: "Nordlys Programvare AS ✨" },
    customerp: employee,
    createRounds: 1,
    cpEdit: { patch: { phone: "+49 30 999 999" }, requests: [["/customers/cp-employee-4", { phone: "+49 30 999 999" }]] },
    cbEdit: { patch: { first_name: "Jörg" }, changes: { first_name: "Jörg" } },
    conflict: { property: "last_name", cp: { last_name: "Müller-Lüdenscheidt" }, cb: { last_name: "Mueller" }, base: "Müller 😀",
      customerp: "Müller-Lüdenscheidt", chargebee: "Mueller",
      cpWins: [["/customers/cp-employee-4", { last_name: "Müller-Lüdenscheidt" }]], cbWins: { last_name: "Mueller" } },
    same: { cp: { phone: "+49 30 111 111" }, cb: { phone: "+49 30 111 111" } },
    other: { cp: { first_name: "Jürgen K." }, cb: { first_name: "Jürgen K." } },
  },
  "customer-business_entity": {
    options: {},
    customerp: erpCustomer,
    createRounds: 0, // Chargebee has no API for business entities: a person creates them
    cpEdit: { patch: { name: "Fjordkraft Energi AS ⚡" }, manual: 'rename it to "Fjordkraft Energi AS ⚡"' },
    cbEdit: { patch: { status: "inactive" }, changes: { is_active: false } },
    conflict: { property: "name", cp: { name: "Fjordkraft Energi AS" }, cb: { name: "Fjordkraft Kraft AS" }, base: "Fjordkraft Ærø AS 🌊",
      customerp: "Fjordkraft Energi AS", chargebee: "Fjordkraft Kraft AS",
      cpWins: 'rename it to "Fjordkraft Energi AS"', cbWins: { name: "Fjordkraft Kraft AS" } },
    same: { cp: { name: "Fjordkraft Sjø AS" }, cb: { name: "Fjordkraft Sjø AS" } },
    other: { cp: { is_active: false }, cb: { status: "inactive" } },
  },
  "product-item": {
    options: { itemFamilyId: "kitchen-ware" },
    customerp: () => product("TEA-1", "1500", "JPY"),
    createRounds: 1,
    cpEdit: { patch: { description: "Ny beskrivelse – ü", unit: "stk" },
      requests: [["/items/TEA-1", { description: "Ny beskrivelse – ü", unit: "stk" }]] },
    cbEdit: { patch: { unit: "Stück" }, changes: { unit: "Stück" } },
    conflict: { property: "description", cp: { description: "Beskrivelse fra ERP ø" }, cb: { description: "Beschreibung aus Chargebee ü" },
      base: "Håndlaget på Ærø 🍵", customerp: "Beskrivelse fra ERP ø", chargebee: "Beschreibung aus Chargebee ü",
      cpWins: [["/items/TEA-1", { description: "Beskrivelse fra ERP ø" }]], cbWins: { description: "Beschreibung aus Chargebee ü" } },
    same: { cp: { unit: "kg" }, cb: { unit: "kg" } },
    other: { cp: { unit: "boks" }, cb: { unit: "boks" } },
  },
  "quote-order": {
    options: { timeZone: "Asia/Tokyo" },
    customerp: quote,
    links: orderLinks,
    createRounds: 2, // POST /orders cannot set order_date nor line skus: the next plan writes them
    cpEdit: { patch: { note: "Ny leveringsdag 🚚" }, requests: [["/orders/cp-quote-42", { note: "Ny leveringsdag 🚚" }]] },
    cbEdit: { patch: { shipping_address: { city: "Tromsø" } },
      changes: { delivery_address: { ...quote().delivery_address, city: "Tromsø" } } },
    conflict: { property: "note", cp: { note: "Notat fra ERP ø" }, cb: { note: "Note from Chargebee ü" }, base: "Levering før påske 🐣",
      customerp: "Notat fra ERP ø", chargebee: "Note from Chargebee ü",
      cpWins: [["/orders/cp-quote-42", { note: "Notat fra ERP ø" }]], cbWins: { note: "Note from Chargebee ü" } },
    same: { cp: { note: "Samme notat 李" }, cb: { note: "Samme notat 李" } },
    other: { cp: { delivery_address: { city: "Ålesund" } }, cb: { shipping_address: { city: "Ålesund" } } },
  },
  "order-order": {
    options: { timeZone: "Europe/Oslo" },
    customerp: erpOrder,
    links: orderLinks,
    createRounds: 2,
    cpEdit: { patch: { tracking_number: "TRK-Ø-1", carrier: "Bring" },
      requests: [["/orders/cp-order-107", { tracking_id: "TRK-Ø-1", shipment_carrier: "Bring" }]] },
    cbEdit: { patch: { status: "shipped", shipped_at: 1780500000, tracking_id: "CB-TRK-9" },
      changes: { status: "shipped", shipped_at: "2026-06-03T17:20:00+02:00", tracking_number: "CB-TRK-9" } },
    conflict: { property: "tracking_number", cp: { tracking_number: "TRK-ERP" }, cb: { tracking_id: "TRK-CB" }, base: "TRK-0",
      customerp: "TRK-ERP", chargebee: "TRK-CB",
      cpWins: [["/orders/cp-order-107", { tracking_id: "TRK-ERP" }]], cbWins: { tracking_number: "TRK-CB" } },
    same: { cp: { carrier: "DHL Express" }, cb: { shipment_carrier: "DHL Express" } },
    other: { cp: { note: "Annet notat" }, cb: { note: "Annet notat" } },
  },
};
const FLOW_IDS = Object.keys(FLOWS);

const linksOf = (flow) => FLOWS[flow].links?.();
const withLinks = (flow, input) => (FLOWS[flow].links ? { ...input, links: linksOf(flow) } : input);

/** A business entity as a person creates it in Chargebee's settings, following a manual action. */
function byHand(cb, cp, now) {
  const entity = cb ?? { id: "AzqK1mUbN2x1Q4Fa", deleted: false, created_at: now, object: "business_entity" };
  return { ...entity, name: cp.name.trim(), status: cp.is_active === false ? "inactive" : "active", updated_at: now,
           resource_version: now * 1000 };
}

/** A linked pair, synced from the Customerp record: { customerp, chargebee, base }. */
function synced(flow) {
  const f = FLOWS[flow];
  if (flow === "customer-business_entity") {
    const cp = f.customerp();
    const manual = plan(flow, { customerp: cp, chargebee: null, base: null }, f.options);
    assert.equal(manual.chargebee.action, "manual");
    const be = byHand(null, cp, 1_780_000_000);
    const p = plan(flow, { customerp: cp, chargebee: be, base: manual.base }, f.options);
    assert.ok(quiet(p), JSON.stringify(p));
    return { customerp: cp, chargebee: be, base: p.base };
  }
  const r = syncRounds(flow, withLinks(flow, { customerp: f.customerp() }), f.options, { maxRounds: f.createRounds });
  return { customerp: r.customerp, chargebee: r.chargebee, base: r.base };
}

/** The input of a linked pair with edits on either side; the edited side's clock moves. */
function edited(flow, s, { cp, cb, cpUpdated = CP_EDIT, cbUpdated = CB_LATER } = {}) {
  return withLinks(flow, {
    customerp: cp ? patch(s.customerp, { ...cp, updated: cpUpdated }) : s.customerp,
    chargebee: cb ? patch(s.chargebee, { ...cb, updated_at: cbUpdated }) : s.chargebee,
    base: s.base,
  });
}

/**
 * Applies a plan to both sides (a person carries out a manual action) and plans again: nothing may be left to
 * do, no conflict and no warning. Returns the settled pair.
 */
function settles(flow, input, p, { now = 1_790_000_000, options = FLOWS[flow].options } = {}) {
  let cb = applyChargebee(input.chargebee, p, now);
  if (p.chargebee.action === "manual") cb = byHand(cb, applyCustomerp(input.customerp, p), now);
  const cp = applyCustomerp(input.customerp, p, { now: "2026-08-01T00:00:00Z" });
  const again = plan(flow, { ...input, customerp: cp, chargebee: cb, base: p.base }, options);
  assert.ok(quiet(again), `${flow}: after applying, the next plan still writes: ${JSON.stringify(again)}`);
  assert.deepEqual(again.conflicts, []);
  // A connector's own field (the contact's custom_field_from_connector) is kept, ignored and said in every plan.
  const unknown = again.warnings.filter((w) => w.code === "unknown_field").map((w) => w.property);
  assert.deepEqual(unknown, "custom_field_from_connector" in (cp ?? {}) ? ["custom_field_from_connector"] : [], `${flow}: unknown fields`);
  assert.deepEqual(again.warnings.filter((w) => w.code !== "unknown_field"), [], `${flow}: warnings on a synced pair`);
  return { customerp: cp, chargebee: cb, base: again.base };
}

/** The value at a dotted path; through arrays, the list of each element's value. */
function get(value, path) {
  let out = value;
  for (const key of path.split(".")) {
    if (Array.isArray(out)) out = out.map((v) => v?.[key]);
    else out = out?.[key];
  }
  return out;
}
const filled = (v) => v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && (v.length === 0 || !v.every(filled)));

/** The value a JSON Pointer (RFC 6901) points to, or undefined. */
function atPointer(root, pointer) {
  if (pointer === "") return root;
  if (!pointer.startsWith("/")) return undefined;
  let v = root;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, key)) return undefined;
    v = v[key];
  }
  return v;
}

/** Asserts that fn throws a SyncError with these fields. */
function throwsSyncError(fn, expected) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof Error, "not an Error");
    assert.equal(e.name, "SyncError");
    for (const [k, v] of Object.entries(expected)) assert.equal(e[k], v, `${k} of ${JSON.stringify({ ...e, message: e.message })}`);
    assert.ok(typeof e.message === "string" && e.message.length > 0);
    return true;
  });
}

// ================================================================================================================
describe("flows() and the tables of flows.md", () => {
  // Every row of the spec's tables, as [customerp, chargebee, direction]; the conflict clocks are no properties.
  const address = (cpObj, cbObj, dir = "both") =>
    [["street_1", "line1"], ["street_2", "line2"], ["street_3", "line3"], ["postal_code", "zip"], ["city", "city"],
     ["region", "state"], ["country", "country"]].map(([c, b]) => [`${cpObj}.${c}`, `${cbObj}.${b}`, dir]);
  const orderRows = (dateCp) => [
    ["number", "reference_id", "to-chargebee"], ["status", "status", "both"], ["contact_id", "customer_id", "to-chargebee"],
    ["currency", "currency_code", "to-chargebee"], [dateCp, "order_date", "both"], ["note", "note", "both"],
    ...address("delivery_address", "shipping_address"),
    ["lines.product_id", "order_line_items.entity_id", "to-chargebee"], ["lines.sku", "order_line_items.sku", "both"],
    ["lines.description", "order_line_items.description", "to-chargebee"],
    ["lines.quantity", "order_line_items.fulfillment_quantity", "to-chargebee"],
    ["lines.unit_price", "order_line_items.unit_price", "to-chargebee"],
  ];
  const SPEC = {
    "contact-customer": [
      ["first_name", "first_name", "both"], ["last_name", "last_name", "both"], ["email", "email", "both"],
      ["phone (else mobile)", "phone", "both"], ["customer_name", "company", "to-chargebee"], ["language", "locale", "both"],
      ...address("address", "billing_address"), ["customer_id", "business_entity_id", "to-chargebee"],
      ["id, record type", "meta_data.customerp", "to-chargebee"],
    ],
    "customer-business_entity": [["name", "name", "both"], ["is_active", "status", "both"]],
    "employee-customer": [
      ["first_name", "first_name", "both"], ["last_name", "last_name", "both"], ["email", "email", "both"],
      ["phone", "phone", "both"], ["option ownCompanyName", "company", "to-chargebee"], ...address("address", "billing_address"),
      ["id, employee_number, record type", "meta_data.customerp", "to-chargebee"],
    ],
    "quote-order": orderRows("quote_date"),
    "order-order": [
      ...orderRows("order_date"), ["delivery_date", "shipping_date", "both"], ["shipped_at", "shipped_at", "both"],
      ["delivered_at", "delivered_at", "both"], ["cancelled_at", "cancelled_at", "both"],
      ["cancellation_reason", "cancellation_reason", "both"], ["tracking_number", "tracking_id", "both"],
      ["tracking_url", "tracking_url", "both"], ["carrier", "shipment_carrier", "both"],
      ["lines.status", "order_line_items.status", "both"],
    ],
    "product-item": [
      ["sku", "id", "to-chargebee"], ["name", "name", "both"], ["name", "external_name", "to-chargebee"],
      ["description", "description", "both"], ["kind", "type", "to-chargebee"], ["kind", "is_shippable", "to-chargebee"],
      ["unit", "unit", "both"], ["is_active", "status", "both"], ["option itemFamilyId", "item_family_id", "to-chargebee"],
      ["price", "item_price.price", "both"], ["currency", "item_price.currency_code", "to-chargebee"],
      ["billing_period_unit", "item_price.period_unit", "to-chargebee"], ["billing_period", "item_price.period", "to-chargebee"],
    ],
  };

  test("flows() lists the six flows, with their record types and merge criteria", () => {
    const list = flows();
    assert.deepEqual(list.map((f) => f.id).sort(), [...FLOW_IDS].sort());
    const byId = Object.fromEntries(list.map((f) => [f.id, f]));
    assert.deepEqual([byId["contact-customer"].customerp, byId["contact-customer"].chargebee], ["Contact", "Customer"]);
    assert.deepEqual([byId["employee-customer"].customerp, byId["employee-customer"].chargebee], ["Employee", "Customer"]);
    assert.deepEqual([byId["customer-business_entity"].customerp, byId["customer-business_entity"].chargebee], ["Customer", "Business_entity"]);
    assert.deepEqual([byId["product-item"].customerp, byId["product-item"].chargebee], ["Product", "Item"]);
    assert.deepEqual([byId["quote-order"].customerp, byId["quote-order"].chargebee], ["Quote", "Order"]);
    assert.deepEqual([byId["order-order"].customerp, byId["order-order"].chargebee], ["Order", "Order"]);
    assert.ok(byId["contact-customer"].mergeCriteria.includes("email"));
    assert.ok(byId["employee-customer"].mergeCriteria.includes("email"));
    assert.ok(byId["customer-business_entity"].mergeCriteria.includes("name"));
    assert.ok(byId["product-item"].mergeCriteria.includes("sku"));
    assert.ok(byId["quote-order"].mergeCriteria.includes("number"));
    assert.ok(byId["order-order"].mergeCriteria.includes("number"));
    for (const f of list) {
      for (const p of f.properties) {
        assert.ok(["both", "to-chargebee", "to-customerp"].includes(p.direction), JSON.stringify(p));
        assert.ok(p.chargebeeType.length > 0, JSON.stringify(p));
        assert.ok(!/^(updated|updated_at)$/.test(p.customerp) && p.chargebee !== "updated_at", "the clocks are no properties");
      }
    }
  });

  for (const flow of FLOW_IDS) {
    test(`${flow}: flows() has every row of flows.md, in its direction`, () => {
      const rows = flows().find((f) => f.id === flow).properties.map((p) => `${p.customerp} | ${p.chargebee} | ${p.direction}`);
      for (const [cp, cb, dir] of SPEC[flow]) assert.ok(rows.includes(`${cp} | ${cb} | ${dir}`), `missing row ${cp} | ${cb} | ${dir} in\n${rows.join("\n")}`);
    });
  }
});

// ================================================================================================================
describe("mapping: every row, in its direction (toChargebee / toCustomerp)", () => {
  test("contact-customer: a full Contact maps to the Customer row by row (phone before mobile)", () => {
    assert.deepEqual(toChargebee("contact-customer", contact()), {
      id: "cp-contact-17", first_name: "Åse", last_name: "Ødegård-李", email: "ase.odegard@example.no",
      phone: "+47 22 00 00 00", company: "Fjordkraft Ærø AS 🌊", locale: "nb-NO",
      billing_address: { line1: "Storgata 1", line2: "3. etasje", line3: "c/o Økonomi", zip: "0155", city: "Oslo",
                         state: "Oslo", country: "NO" },
      meta_data: { customerp: { type: "contact", id: "17" } },
    });
    assert.equal(toChargebee("contact-customer", { ...contact(), phone: null }).phone, "+47 900 00 000", "mobile when there is no phone");
    assert.equal(toChargebee("contact-customer", { ...contact(), phone: "  " }).phone, "+47 900 00 000", "mobile when phone is blank");
  });

  test("contact-customer: a full Customer maps back, without the →CB rows (company, business entity)", () => {
    const expected = {
      first_name: "Alex", last_name: "Sample", email: "alex.sample@example.com", phone: "+1 555 010 0142", language: "en",
      address: { street_1: "100 Example Street", street_2: "Suite 200", postal_code: "94107", city: "San Francisco",
                 region: "California", country: "US" },
    };
    assert.deepEqual(toCustomerp("contact-customer", cbCustomer()), expected);
    assert.deepEqual(toCustomerp("contact-customer", { customer: cbCustomer() }), expected, "the API's envelope is accepted");
    const withLine3 = toCustomerp("contact-customer", patch(cbCustomer(), { billing_address: { line3: "Postboks 李" } }));
    assert.equal(withLine3.address.street_3, "Postboks 李");
  });

  test("contact-customer: the business entity goes with the create, only when the customer's entity is linked", () => {
    const links = { "customer-business_entity": { "C-5": "AzqK1mUbN2x1Q4Fa" } };
    const p = plan("contact-customer", { customerp: contact(), chargebee: null, base: null, links });
    assert.equal(p.chargebee.requests[0].params.business_entity_id, "AzqK1mUbN2x1Q4Fa");
    const other = plan("contact-customer", { customerp: contact(), chargebee: null, base: null,
                                              links: { "customer-business_entity": { "C-99": "AzqK1mUbN2x1Q4Fa" } } });
    assert.equal(other.chargebee.action, "create", "a contact never waits for a business entity");
    assert.ok(!("business_entity_id" in other.chargebee.requests[0].params));
  });

  test("employee-customer: a full Employee maps with the own company and its employee number", () => {
    const opts = FLOWS["employee-customer"].options;
    assert.deepEqual(toChargebee("employee-customer", employee(), opts), {
      id: "cp-employee-4", first_name: "Jürgen", last_name: "Müller 😀", email: "jurgen.muller@example.com",
      phone: "+49 30 123456", company: "Nordlys Programvare AS ✨",
      billing_address: { line1: "Hauptstraße 5", line2: "Hinterhaus", line3: "2. OG", zip: "10115", city: "Berlin",
                         state: "Berlin", country: "DE" },
      meta_data: { customerp: { type: "employee", id: "4", employee_number: "E-0004" } },
    });
    assert.ok(!("company" in toChargebee("employee-customer", employee())), "no company without ownCompanyName");
    const tagged = patch(cbCustomer(), { meta_data: { customerp: { type: "employee", id: "4" } } });
    assert.deepEqual(toCustomerp("employee-customer", tagged, opts), {
      first_name: "Alex", last_name: "Sample", email: "alex.sample@example.com", phone: "+1 555 010 0142",
      address: { street_1: "100 Example Street", street_2: "Suite 200", postal_code: "94107", city: "San Francisco",
                 region: "California", country: "US" },
    });
  });

  test("customer-business_entity: name and is_active ↔ status, also from a business_entity event", () => {
    assert.deepEqual(toChargebee("customer-business_entity", erpCustomer()),
      { id: "cp-customer-C-5", name: "Fjordkraft Ærø AS 🌊", status: "active" });
    assert.equal(toChargebee("customer-business_entity", { ...erpCustomer(), is_active: false }).status, "inactive");
    assert.deepEqual(toCustomerp("customer-business_entity", businessEntityEvent()), { name: "Example Widgets EU", is_active: true });
    assert.deepEqual(toCustomerp("customer-business_entity", { ...businessEntityEvent().content.business_entity, status: "inactive" }),
      { name: "Example Widgets EU", is_active: false });
  });

  test("product-item: a JPY product maps to item and price in whole yen; kinds and status", () => {
    const opts = FLOWS["product-item"].options;
    const out = toChargebee("product-item", product("TEA-1", "1500", "JPY"), opts);
    const { item_price: price, item_prices: prices, ...item } = out;
    assert.deepEqual(item, {
      id: "TEA-1", name: "Teekanne TEA-1 – 李 ü", external_name: "Teekanne TEA-1 – 李 ü", description: "Håndlaget på Ærø 🍵",
      type: "charge", is_shippable: true, unit: "pcs", status: "active", item_family_id: "kitchen-ware",
    });
    const first = price ?? prices?.[0];
    assert.deepEqual([first.price, first.currency_code], [1500, "JPY"], "JPY has no minor unit");
    if ("id" in first) assert.equal(first.id, "TEA-1-JPY", "the price id is {sku}-{CURRENCY}");
    const kind = (k, extra = {}) => toChargebee("product-item", product("K", "10", "EUR", { kind: k, ...extra }), opts);
    assert.deepEqual([kind("goods").type, kind("goods").is_shippable], ["charge", true]);
    assert.deepEqual([kind("service").type, kind("service").is_shippable], ["charge", false]);
    const sub = kind("subscription", { billing_period_unit: "month", billing_period: 3 });
    assert.deepEqual([sub.type, sub.is_shippable], ["plan", false]);
    const subPrice = sub.item_price ?? sub.item_prices?.[0];
    assert.deepEqual([subPrice.price, subPrice.currency_code, subPrice.period_unit, subPrice.period], [1000, "EUR", "month", 3]);
    assert.equal(toChargebee("product-item", product("K", "10", "EUR", { is_active: false }), opts).status, "archived");
    // Back: the item with its prices under item_prices.
    assert.deepEqual(toCustomerp("product-item", { ...cbItem(), unit: "Stück" }), {
      name: "Onboarding Kit", description: "One-time onboarding hardware kit, shipped to the customer.", unit: "Stück",
      is_active: true, price: "49.00",
    });
    const jpy = { ...cbItem(), id: "matcha", name: "抹茶 Matcha", status: "archived",
                  item_prices: [{ ...cbItem().item_prices[0], id: "matcha-JPY", item_id: "matcha", price: 2400, currency_code: "JPY" }] };
    assert.deepEqual(toCustomerp("product-item", jpy), {
      name: "抹茶 Matcha", description: "One-time onboarding hardware kit, shipped to the customer.", is_active: false, price: "2400",
    });
  });

  test("quote-order: a JPY quote maps to the order (date at midnight in the time zone, money in yen)", () => {
    const out = toChargebee("quote-order", quote(), { timeZone: "Asia/Tokyo" });
    const lines = out.order_line_items.map(({ entity_id: _, ...rest }) => rest);
    delete out.order_line_items;
    assert.deepEqual(out, {
      id: "cp-quote-42", reference_id: "Q-2026-0042", status: "queued", currency_code: "JPY",
      order_date: 1772377200, // 2026-03-02T00:00:00+09:00
      note: "Levering før påske 🐣",
      shipping_address: { line1: "Kaigata 3", line2: "Bygg B", line3: "c/o Ærø", zip: "5016", city: "Bergen", state: "Vestland", country: "NO" },
    });
    assert.deepEqual(lines, [
      { sku: "TEA-1", description: "Teekanne æøå", fulfillment_quantity: 2, unit_price: 1500 },
      { sku: "CUP-2", description: "Kopp 李 😀", fulfillment_quantity: 3, unit_price: 480 },
    ]);
    // Status: accepted ↔ queued; declined / expired → cancelled; a cancelled order declines the quote.
    const status = (s) => toChargebee("quote-order", { ...quote(), status: s }).status;
    assert.deepEqual(["accepted", "declined", "expired"].map(status), ["queued", "cancelled", "cancelled"]);
    const back = (s) => toCustomerp("quote-order", { ...cbOrder(), status: s }).status;
    assert.deepEqual([back("queued"), back("cancelled")], ["accepted", "declined"]);
  });

  test("quote-order: a Chargebee order maps back to the quote's two-way rows", () => {
    const cb = patch(cbOrder(), { note: "Bitte klingeln 🔔", shipping_address: { line3: "Hinterhof" } });
    cb.order_line_items[0].sku = "KIT-1";
    assert.deepEqual(toCustomerp("quote-order", cb, { timeZone: "Asia/Tokyo" }), {
      status: "accepted", quote_date: "2025-03-14", note: "Bitte klingeln 🔔",
      delivery_address: { street_1: "100 Example Street", street_2: "Suite 200", street_3: "Hinterhof", postal_code: "94107",
                          city: "San Francisco", region: "California", country: "US" },
      lines: [{ sku: "KIT-1" }],
    });
  });

  test("order-order: a full Order maps every row, statuses both ways, unknown reasons → others", () => {
    const order = { ...erpOrder(), status: "shipped", shipped_at: "2026-03-06T10:00:00+01:00", delivered_at: "2026-03-08T10:00:00+01:00",
                    cancelled_at: "2026-03-09T10:00:00+01:00", cancellation_reason: "delivery_date_missed" };
    order.lines[1].status = "partially_delivered";
    const out = toChargebee("order-order", order, { timeZone: "Europe/Oslo" });
    const lines = out.order_line_items.map(({ entity_id: _, ...rest }) => rest);
    delete out.order_line_items;
    assert.deepEqual(out, {
      id: "cp-order-107", reference_id: "SO-2026-0107", status: "shipped", currency_code: "NOK",
      order_date: 1772665200, shipping_date: 1773010800, shipped_at: 1772787600, delivered_at: 1772960400, cancelled_at: 1773046800,
      cancellation_reason: "delivery_date_missed", tracking_id: "TRK-0", tracking_url: "https://sporing.example/TRK-0",
      shipment_carrier: "Posten", note: "Ring på døra 🚪",
      shipping_address: { line1: "Kaigata 3", line2: "Bygg B", line3: "c/o Ærø", zip: "5016", city: "Bergen", state: "Vestland", country: "NO" },
    });
    assert.deepEqual(lines, [
      { sku: "TEA-1", description: "Teekanne æøå", fulfillment_quantity: 2, unit_price: 149950, status: "queued" },
      { sku: "CUP-2", description: "Kopp 李 😀", fulfillment_quantity: 1, unit_price: 9900, status: "partially_delivered" },
    ]);
    const same = ["awaiting_shipment", "on_hold", "shipped", "partially_delivered", "delivered", "returned"];
    const to = (s, extra = {}) => toChargebee("order-order", { ...erpOrder(), status: s, ...extra });
    assert.deepEqual(["confirmed", ...same, "cancelled"].map((s) => to(s).status), ["queued", ...same, "cancelled"]);
    assert.equal(to("cancelled", { cancellation_reason: "kunden ombestemte seg" }).cancellation_reason, "others");
    const from = (s) => toCustomerp("order-order", { ...cbOrder(), status: s }).status;
    assert.deepEqual(["queued", ...same, "cancelled"].map(from), ["confirmed", ...same, "cancelled"]);
  });

  test("order-order: a full Chargebee order maps back to every two-way row (date-times in the time zone)", () => {
    const cb = patch(cbOrder(), { status: "delivered", reference_id: "SO-1", note: "Nøte 李", tracking_id: "T1",
      tracking_url: "https://t.example/1", shipment_carrier: "DHL", shipping_date: 1741960000, shipped_at: 1741960000,
      delivered_at: 1741970000, cancelled_at: 1741980000, cancellation_reason: "order_resent", shipping_address: { line3: "Bak" } });
    cb.order_line_items[0].sku = "KIT-1";
    cb.order_line_items[0].status = "delivered";
    assert.deepEqual(toCustomerp("order-order", cb, { timeZone: "Europe/Oslo" }), {
      status: "delivered", order_date: "2025-03-14", delivery_date: "2025-03-14", shipped_at: "2025-03-14T14:46:40+01:00",
      delivered_at: "2025-03-14T17:33:20+01:00", cancelled_at: "2025-03-14T20:20:00+01:00", cancellation_reason: "order_resent",
      tracking_number: "T1", tracking_url: "https://t.example/1", carrier: "DHL", note: "Nøte 李",
      delivery_address: { street_1: "100 Example Street", street_2: "Suite 200", street_3: "Bak", postal_code: "94107",
                          city: "San Francisco", region: "California", country: "US" },
      lines: [{ sku: "KIT-1", status: "delivered" }],
    });
  });

  // Full records per flow, for the generic row checks below.
  const FULL = {
    "contact-customer": { cp: contact, cb: () => patch(cbCustomer(), { billing_address: { line3: "Postboks 7" } }) },
    "employee-customer": { cp: employee, cb: () => patch(cbCustomer(), { billing_address: { line3: "Postboks 7" }, meta_data: { customerp: { type: "employee" } } }) },
    "customer-business_entity": { cp: erpCustomer, cb: businessEntityEvent },
    "product-item": { cp: () => product("PRO", "99", "NOK", { kind: "subscription", billing_period_unit: "month", billing_period: 1 }),
                      cb: () => ({ ...cbItem(), unit: "Stück" }) },
    "quote-order": { cp: quote, cb: () => { const o = patch(cbOrder(), { note: "N", shipping_address: { line3: "L3" } }); o.order_line_items[0].sku = "S"; return o; } },
    "order-order": {
      cp: () => ({ ...erpOrder(), shipped_at: "2026-03-06T10:00:00+01:00", delivered_at: "2026-03-08T10:00:00+01:00",
                   cancelled_at: "2026-03-09T10:00:00+01:00", cancellation_reason: "others" }),
      cb: () => {
        const o = patch(cbOrder(), { note: "N", tracking_id: "T", tracking_url: "https://t", shipment_carrier: "C", shipped_at: 1741960000,
          delivered_at: 1741970000, cancelled_at: 1741980000, cancellation_reason: "others", shipping_address: { line3: "L3" } });
        o.order_line_items[0].sku = "S";
        return o;
      },
    },
  };
  // Rows whose Chargebee value needs a parent's link, which toChargebee does not take: checked in the plan.
  const NEEDS_LINKS = new Set(["contact-customer business_entity_id", "quote-order customer_id", "order-order customer_id",
    "quote-order order_line_items.entity_id", "order-order order_line_items.entity_id"]);
  const cpPath = (p) => p.customerp.replace(/ \(else \w+\)$/, "");
  const isCpPath = (p) => !p.customerp.startsWith("option ") && !p.customerp.includes(",");

  for (const flow of FLOW_IDS) {
    test(`${flow}: each property flows() lists is in toChargebee / toCustomerp of a full record, per its direction`, () => {
      const opts = FLOWS[flow].options;
      const props = flows().find((f) => f.id === flow).properties;
      const toCb = toChargebee(flow, FULL[flow].cp(), opts);
      const toCp = toCustomerp(flow, FULL[flow].cb(), opts);
      // toChargebee may name the product's price `item_price` (one object) or `item_prices` (the input shape).
      const cbView = toCb.item_prices ? { ...toCb, item_price: toCb.item_prices[0] } : toCb;
      const reverse = new Set(props.filter((p) => p.direction !== "to-chargebee" && isCpPath(p)).map(cpPath));
      for (const p of props) {
        const label = `${p.customerp} → ${p.chargebee} (${p.direction})`;
        if (p.direction !== "to-customerp" && !NEEDS_LINKS.has(`${flow} ${p.chargebee}`)) {
          assert.ok(filled(get(cbView, p.chargebee)), `${label}: not in toChargebee ${JSON.stringify(toCb)}`);
        }
        if (p.direction !== "to-chargebee") {
          assert.ok(filled(get(toCp, cpPath(p))), `${label}: not in toCustomerp ${JSON.stringify(toCp)}`);
        } else if (isCpPath(p) && !reverse.has(cpPath(p))) {
          const absent = (v) => v === undefined || (Array.isArray(v) && v.every(absent));
          assert.ok(absent(get(toCp, cpPath(p))), `${label} is →CB only, but toCustomerp gives it: ${JSON.stringify(toCp)}`);
        }
      }
    });

    test(`${flow}: every two-way property survives toChargebee then toCustomerp`, () => {
      const opts = FLOWS[flow].options;
      const cp = FULL[flow].cp();
      const out = toChargebee(flow, cp, opts);
      // The same shape toCustomerp takes (api.md): the product's prices under item_prices.
      const cb = out.item_price && !out.item_prices ? { ...out, item_prices: [out.item_price] } : out;
      const back = toCustomerp(flow, cb, opts);
      // Compared in canonical form: money as a number ("99" and "99.00" are the same amount).
      const canon = (p, v) => (/(^|\.)(price|unit_price)$/.test(cpPath(p)) && v != null ? Number(v) : v);
      for (const p of flows().find((f) => f.id === flow).properties.filter((x) => x.direction === "both")) {
        assert.deepEqual(canon(p, get(back, cpPath(p))), canon(p, get(cp, cpPath(p))), `${p.customerp} does not come back`);
      }
    });
  }

  test("the rows that need a parent's link are in the create requests", () => {
    const q = plan("quote-order", { customerp: quote(), chargebee: null, base: null, links: orderLinks() }, { timeZone: "Asia/Tokyo" });
    const [invoice, order] = q.chargebee.requests;
    assert.equal(invoice.path, "/invoices/create_for_charge_items_and_charges");
    assert.equal(invoice.params.customer_id, "cp-contact-17", "contact_id → customer_id through contact-customer");
    assert.equal(invoice.params.currency_code, "JPY");
    assert.deepEqual(invoice.params.item_prices, [
      { item_price_id: "TEA-1-JPY", quantity: 2, unit_price: 1500 },
      { item_price_id: "CUP-2-JPY", quantity: 3, unit_price: 480 },
    ], "lines.product_id → the linked item's price {item id}-{CURRENCY}; quantity; unit price in yen");
    assert.deepEqual(invoice.params.shipping_address,
      { line1: "Kaigata 3", line2: "Bygg B", line3: "c/o Ærø", zip: "5016", city: "Bergen", state: "Vestland", country: "NO" });
    assert.equal(order.path, "/orders");
    assert.deepEqual(order.params.invoice_id, { $result: 0, path: "invoice.id" });
    assert.equal(order.params.reference_id, "Q-2026-0042");
    assert.equal(order.params.id, "cp-quote-42");
    const o = plan("order-order", { customerp: erpOrder(), chargebee: null, base: null, links: orderLinks() }, { timeZone: "Europe/Oslo" });
    assert.equal(o.chargebee.requests[0].params.customer_id, "cp-contact-17");
    assert.deepEqual(o.chargebee.requests[0].params.item_prices.map((l) => l.item_price_id), ["TEA-1-NOK", "CUP-2-NOK"]);
    assert.deepEqual(o.chargebee.requests[0].params.item_prices.map((l) => l.unit_price), [149950, 9900]);
  });

  test("toChargebee: an order line's entity_id is a Chargebee item price id, never the Customerp product id",
    () => {
      for (const [flow, rec] of [["quote-order", quote()], ["order-order", erpOrder()]]) {
        const out = toChargebee(flow, rec, FLOWS[flow].options);
        for (const [i, line] of out.order_line_items.entries()) {
          if (!("entity_id" in line)) continue; // without links, leaving it out is fine
          assert.notEqual(line.entity_id, rec.lines[i].product_id, `${flow}: entity_id is the Customerp product id`);
          assert.match(line.entity_id, new RegExp(`-${rec.currency}$`), `${flow}: not an item price id {item id}-{CURRENCY}`);
        }
      }
    });

  test("order-order: a cancelled order without a reason maps to others in toChargebee, as in the cancel request",
    () => {
      const order = { ...erpOrder(), status: "cancelled", cancellation_reason: null };
      assert.equal(toChargebee("order-order", order).cancellation_reason, "others");
    });

  test("product-item: a subscription without billing_period maps to period 1 in toChargebee, as in the create request",
    () => {
      const sub = product("PRO", "990", "JPY", { kind: "subscription", billing_period_unit: "month" });
      const out = toChargebee("product-item", sub, FLOWS["product-item"].options);
      const price = out.item_prices?.[0] ?? out.item_price;
      assert.equal(price.period, 1);
      const p = plan("product-item", { customerp: sub, chargebee: null, base: null }, FLOWS["product-item"].options);
      assert.equal(p.chargebee.requests[1].params.period, price.period);
    });

  test("toChargebee(product-item) returns the shape toCustomerp takes: prices under item_prices", () => {
      const opts = FLOWS["product-item"].options;
      const out = toChargebee("product-item", product("TEA-1", "1500", "JPY"), opts);
      assert.ok(Array.isArray(out.item_prices), `no item_prices array in ${JSON.stringify(out)}`);
      assert.equal(toCustomerp("product-item", out, opts).price, "1500");
    });
});

// ================================================================================================================
describe("new on either side → created on the other", () => {
  test("contact-customer: a new Contact creates the Customer in one request, and converges", () => {
    const p = plan("contact-customer", { customerp: contact(), chargebee: null, base: null });
    assert.deepEqual([p.customerp.action, p.chargebee.action], ["none", "create"]);
    assert.deepEqual(p.link, { customerp: "17", chargebee: "cp-contact-17" });
    assert.deepEqual(requests(p), [["/customers", toChargebee("contact-customer", contact())]]);
    syncRounds("contact-customer", { customerp: contact() }, {}, { maxRounds: 1 });
  });

  test("contact-customer: a new Customer creates the Contact, then tags the Customer with the new id", () => {
    const p = plan("contact-customer", { customerp: null, chargebee: cbCustomer(), base: null });
    assert.deepEqual([p.customerp.action, p.chargebee.action], ["create", "none"]);
    assert.deepEqual(p.link, { customerp: null, chargebee: "AzZiyeUbT8kq3bN1" });
    assert.deepEqual(p.customerp.changes, { ...toCustomerp("contact-customer", cbCustomer()), is_active: true });
    const r = syncRounds("contact-customer", { chargebee: cbCustomer() }, {}, { maxRounds: 2, newId: "901" });
    assert.deepEqual(requests(r.plans[1]), [["/customers/AzZiyeUbT8kq3bN1",
      { meta_data: { crm_account_id: "ACCT-0042", segment: "smb", customerp: { type: "contact", id: "901" } } }]]);
    assert.equal(r.chargebee.cf_account_tier, "gold", "unknown attributes stay");
  });

  test("employee-customer: a new Employee creates the Customer; a Customer tagged employee creates the Employee", () => {
    const opts = FLOWS["employee-customer"].options;
    const p = plan("employee-customer", { customerp: employee(), chargebee: null, base: null }, opts);
    assert.deepEqual(requests(p), [["/customers", toChargebee("employee-customer", employee(), opts)]]);
    syncRounds("employee-customer", { customerp: employee() }, opts, { maxRounds: 1 });
    const tagged = patch(cbCustomer(), { meta_data: { customerp: { type: "employee" } } });
    const q = plan("employee-customer", { customerp: null, chargebee: tagged, base: null }, opts);
    assert.equal(q.customerp.action, "create");
    assert.deepEqual(q.customerp.changes, { ...toCustomerp("employee-customer", tagged, opts), is_active: true });
    const untagged = plan("employee-customer", { customerp: null, chargebee: cbCustomer(), base: null }, opts);
    assert.equal(untagged.customerp.action, "none", "an untagged customer becomes a contact");
    const asContact = plan("contact-customer", { customerp: null, chargebee: tagged, base: null });
    assert.equal(asContact.customerp.action, "none", "a customer tagged employee never becomes a contact");
    const r = syncRounds("employee-customer", { chargebee: tagged }, opts, { maxRounds: 2, newId: "E-77" });
    assert.deepEqual(r.chargebee.meta_data.customerp, { type: "employee", id: "E-77" });
  });

  test("customer-business_entity: a new Customer is a manual action; a new business entity creates the Customer", () => {
    const p = plan("customer-business_entity", { customerp: erpCustomer(), chargebee: null, base: null });
    assert.equal(p.chargebee.action, "manual");
    assert.deepEqual(p.chargebee.requests, []);
    assert.match(p.chargebee.reason, /Create Business Entity/);
    assert.ok(p.chargebee.reason.includes('"Fjordkraft Ærø AS 🌊"'), p.chargebee.reason);
    // Done by hand: the next sync links it by name, and there is nothing left to do.
    const be = byHand(null, erpCustomer(), 1_780_000_000);
    const m = match("customer-business_entity", [erpCustomer()], [be]);
    assert.deepEqual(m.links, [{ customerp: "C-5", chargebee: be.id, by: "name" }]);
    assert.ok(quiet(plan("customer-business_entity", { customerp: erpCustomer(), chargebee: be, base: p.base })));
    // Chargebee → Customerp, from the webhook event.
    const q = plan("customer-business_entity", { customerp: null, chargebee: businessEntityEvent(), base: null });
    assert.equal(q.customerp.action, "create");
    assert.deepEqual(q.customerp.changes, { name: "Example Widgets EU", is_active: true });
    assert.equal(q.link.chargebee, "AzqK1mUbN2x1Q4Fa");
    syncRounds("customer-business_entity", { chargebee: businessEntityEvent() }, {}, { maxRounds: 1 });
  });

  test("product-item: a new JPY product creates the item and its price in whole yen, and converges", () => {
    const opts = FLOWS["product-item"].options;
    const p = plan("product-item", { customerp: product("TEA-1", "1500", "JPY"), chargebee: null, base: null }, opts);
    assert.deepEqual(p.link, { customerp: "P-TEA-1", chargebee: "TEA-1" });
    const reqs = requests(p);
    assert.deepEqual(reqs.map(([path]) => path), ["/items", "/item_prices"]);
    assert.deepEqual(reqs[0][1], { id: "TEA-1", name: "Teekanne TEA-1 – 李 ü", external_name: "Teekanne TEA-1 – 李 ü",
      description: "Håndlaget på Ærø 🍵", type: "charge", is_shippable: true, unit: "pcs", item_family_id: "kitchen-ware" });
    assert.equal(reqs[1][1].id, "TEA-1-JPY");
    assert.equal(reqs[1][1].item_id, "TEA-1");
    assert.equal(reqs[1][1].price, 1500);
    assert.equal(reqs[1][1].currency_code, "JPY");
    assert.deepEqual(p.warnings, []);
    syncRounds("product-item", { customerp: product("TEA-1", "1500", "JPY") }, opts, { maxRounds: 1 });
    // A subscription: a plan item whose price id names the period.
    const sub = product("PRO", "990", "JPY", { kind: "subscription", billing_period_unit: "year", billing_period: 1 });
    const s = plan("product-item", { customerp: sub, chargebee: null, base: null }, opts);
    assert.equal(s.chargebee.requests[0].params.type, "plan");
    assert.equal(s.chargebee.requests[1].params.id, "PRO-JPY-1-year");
    assert.deepEqual([s.chargebee.requests[1].params.period, s.chargebee.requests[1].params.period_unit], [1, "year"]);
    syncRounds("product-item", { customerp: sub }, opts, { maxRounds: 1 });
  });

  test("product-item: a new Chargebee item creates the product (sku, kind, currency, price)", () => {
    const opts = FLOWS["product-item"].options;
    const p = plan("product-item", { customerp: null, chargebee: cbItem(), base: null }, opts);
    assert.equal(p.customerp.action, "create");
    assert.deepEqual(p.customerp.changes, { sku: "onboarding-kit", kind: "goods", currency: "USD", name: "Onboarding Kit",
      description: "One-time onboarding hardware kit, shipped to the customer.", is_active: true, price: "49.00" });
    const jpy = { ...cbItem(), id: "matcha", name: "抹茶", item_prices: [{ ...cbItem().item_prices[0], id: "matcha-JPY", item_id: "matcha", price: 2400, currency_code: "JPY" }] };
    const q = plan("product-item", { customerp: null, chargebee: jpy, base: null }, opts);
    assert.deepEqual([q.customerp.changes.currency, q.customerp.changes.price], ["JPY", "2400"]);
    syncRounds("product-item", { chargebee: cbItem() }, opts, { maxRounds: 2 });
    syncRounds("product-item", { chargebee: jpy }, opts, { maxRounds: 2 });
  });

  test("quote-order: an accepted quote creates invoice then order (waiting for its parents first); other states wait", () => {
    const opts = FLOWS["quote-order"].options;
    const waits = plan("quote-order", { customerp: quote(), chargebee: null, base: null, links: { "product-item": { "P-TEA-1": "TEA-1" } } }, opts);
    assert.deepEqual(waits.chargebee.requests, []);
    assert.deepEqual(waits.waitingFor, [{ flow: "contact-customer", customerpId: "17" }, { flow: "product-item", customerpId: "P-CUP-2" }]);
    for (const status of ["draft", "sent"]) {
      const p = plan("quote-order", { customerp: { ...quote(), status }, chargebee: null, base: null, links: orderLinks() }, opts);
      assert.equal(p.chargebee.action, "none");
      assert.match(p.chargebee.reason, /accepted/);
    }
    const p = plan("quote-order", { customerp: quote(), chargebee: null, base: null, links: orderLinks() }, opts);
    assert.deepEqual([p.customerp.action, p.chargebee.action], ["none", "create"]);
    assert.deepEqual(p.link, { customerp: "42", chargebee: "cp-quote-42" });
    const r = syncRounds("quote-order", { customerp: quote(), links: orderLinks() }, opts, { maxRounds: 2 });
    // The second plan writes what POST /orders cannot: the order date (Tokyo midnight) and the line skus.
    assert.deepEqual(requests(r.plans[1]), [["/orders/cp-quote-42", { order_date: 1772377200,
      order_line_items: [{ id: "o_li_0", sku: "TEA-1" }, { id: "o_li_1", sku: "CUP-2" }] }]]);
    assert.equal(r.chargebee.reference_id, "Q-2026-0042");
  });

  test("quote-order: a Chargebee order never creates a quote", () => {
    const p = plan("quote-order", { customerp: null, chargebee: cbOrder(), base: null });
    assert.deepEqual([p.customerp.action, p.chargebee.action], ["none", "none"]);
    assert.match(p.customerp.reason, /order-order/);
    const m = match("quote-order", [{ id: "42", number: "Q-2026-0042" }], [{ ...cbOrder(), reference_id: "Q-2026-0042" }]);
    assert.deepEqual(m.links, [{ customerp: "42", chargebee: "1187", by: "number" }], "…but joins the quote its reference names");
  });

  test("order-order: a confirmed order creates invoice then order; a draft waits", () => {
    const opts = FLOWS["order-order"].options;
    const draft = plan("order-order", { customerp: { ...erpOrder(), status: "draft" }, chargebee: null, base: null, links: orderLinks() }, opts);
    assert.equal(draft.chargebee.action, "none");
    const p = plan("order-order", { customerp: erpOrder(), chargebee: null, base: null, links: orderLinks() }, opts);
    assert.deepEqual(requests(p).map(([path]) => path), ["/invoices/create_for_charge_items_and_charges", "/orders"]);
    assert.equal(p.chargebee.requests[1].params.id, "cp-order-107");
    const r = syncRounds("order-order", { customerp: erpOrder(), links: orderLinks() }, opts, { maxRounds: 2 });
    assert.equal(r.chargebee.order_date, 1772665200, "2026-03-05 in Oslo");
    assert.equal(r.chargebee.shipping_date, 1773010800, "2026-03-09 in Oslo");
    assert.equal(r.chargebee.tracking_id, "TRK-0");
  });

  test("order-order: a new Chargebee order creates the Customerp order, through the parents' links", () => {
    const p = plan("order-order", { customerp: null, chargebee: cbOrder(), base: null, links: cbOrderLinks() });
    assert.equal(p.customerp.action, "create");
    assert.deepEqual(p.customerp.changes, {
      number: "1187", currency: "USD", contact_id: "17",
      lines: [{ description: "Onboarding Kit", quantity: 1, unit_price: "49.00", product_id: "P-KIT-1", status: "queued" }],
      total_net: "49.00", total: "49.00", status: "confirmed", order_date: "2025-03-14", delivery_date: "2025-03-14",
      delivery_address: { street_1: "100 Example Street", street_2: "Suite 200", postal_code: "94107", city: "San Francisco",
                          region: "California", country: "US" },
    });
    syncRounds("order-order", { chargebee: cbOrder(), links: cbOrderLinks() }, {}, { maxRounds: 2 });
  });

  test("order-order: an order made from a linked quote takes over the quote's Chargebee order", () => {
    const opts = FLOWS["order-order"].options;
    const links = { ...orderLinks(), "quote-order": { 42: "cp-quote-42" } };
    const order = { ...erpOrder(), quote_id: "42" };
    const p = plan("order-order", { customerp: order, chargebee: null, base: null, links }, opts);
    assert.deepEqual(p.chargebee.requests, [], "no second order");
    assert.deepEqual(p.link, { customerp: "107", chargebee: "cp-quote-42" });
    const q = syncRounds("quote-order", { customerp: quote(), links: orderLinks() }, FLOWS["quote-order"].options, { maxRounds: 2 });
    const p2 = plan("order-order", { customerp: order, chargebee: q.chargebee, base: null, links }, opts);
    assert.equal(p2.chargebee.requests[0].path, "/orders/cp-quote-42");
    assert.equal(p2.chargebee.requests[0].params.reference_id, "SO-2026-0107");
  });

  test("after a Chargebee → Customerp create, the next plan reports no edits that were never made",
    () => {
      for (const [flow, cb, links, opts] of [["product-item", cbItem(), undefined, FLOWS["product-item"].options],
                                             ["order-order", cbOrder(), cbOrderLinks(), {}]]) {
        const r = syncRounds(flow, { chargebee: cb, links }, opts, { maxRounds: 2 });
        for (const p of r.plans) assert.deepEqual(p.warnings, [], `${flow}: ${JSON.stringify(p.warnings)}`);
      }
    });
});

// ================================================================================================================
describe("linked edits: one side changed → just those fields written to the other", () => {
  for (const flow of FLOW_IDS) {
    const f = FLOWS[flow];
    test(`${flow}: a Customerp edit updates only the edited fields in Chargebee, with expect, and converges`, () => {
      const s = synced(flow);
      const input = edited(flow, s, { cp: f.cpEdit.patch });
      const p = plan(flow, input, f.options);
      assert.equal(p.customerp.action, "none");
      assert.deepEqual(p.conflicts, []);
      if (f.cpEdit.manual) {
        assert.equal(p.chargebee.action, "manual");
        assert.ok(p.chargebee.reason.includes(f.cpEdit.manual), p.chargebee.reason);
      } else {
        assert.equal(p.chargebee.action, "update");
        assert.deepEqual(requests(p), f.cpEdit.requests);
        assert.equal(p.chargebee.expect.updated_at, s.chargebee.updated_at, "read-before-write: the clock it was based on");
      }
      settles(flow, input, p);
    });

    test(`${flow}: a Chargebee edit updates only the edited fields in Customerp, with expect, and converges`, () => {
      const s = synced(flow);
      const input = edited(flow, s, { cb: f.cbEdit.patch });
      const p = plan(flow, input, f.options);
      assert.deepEqual([p.customerp.action, p.chargebee.action], ["update", "none"]);
      assert.deepEqual(p.chargebee.requests, []);
      assert.deepEqual(p.customerp.changes, f.cbEdit.changes);
      assert.equal(p.customerp.id, String(s.customerp.id));
      assert.equal(p.customerp.expect.updated, s.customerp.updated, "read-before-write: the clock it was based on");
      assert.deepEqual(p.conflicts, []);
      settles(flow, input, p);
    });
  }

  test("contact-customer: a billing edit goes through update_billing_info with every mapped billing field", () => {
    const s = synced("contact-customer");
    const input = edited("contact-customer", s, { cp: { email: "ase@fjordkraft.no", address: { city: "Tromsø", postal_code: "9008" } } });
    const p = plan("contact-customer", input);
    assert.deepEqual(requests(p), [
      ["/customers/cp-contact-17", { email: "ase@fjordkraft.no" }],
      ["/customers/cp-contact-17/update_billing_info", { billing_address: { line1: "Storgata 1", line2: "3. etasje",
        line3: "c/o Økonomi", zip: "9008", city: "Tromsø", state: "Oslo", country: "NO" } }],
    ]);
    settles("contact-customer", input, p);
  });

  test("contact-customer: a Chargebee billing edit gives the whole address, merged", () => {
    const s = synced("contact-customer");
    const input = edited("contact-customer", s, { cb: { billing_address: { zip: "0160" } } });
    const p = plan("contact-customer", input);
    assert.deepEqual(p.customerp.changes, { address: { ...contact().address, postal_code: "0160" } });
    settles("contact-customer", input, p);
  });

  test("employee-customer: a new employee number rewrites the tag in meta_data", () => {
    const s = synced("employee-customer");
    const input = edited("employee-customer", s, { cp: { employee_number: "E-0444" } });
    const p = plan("employee-customer", input, FLOWS["employee-customer"].options);
    assert.deepEqual(requests(p), [["/customers/cp-employee-4", { meta_data: { customerp: { type: "employee", id: "4", employee_number: "E-0444" } } }]]);
    settles("employee-customer", input, p);
  });

  test("customer-business_entity: deactivating the Customer is a manual action; an inactive entity deactivates it", () => {
    const s = synced("customer-business_entity");
    const input = edited("customer-business_entity", s, { cp: { is_active: false } });
    const p = plan("customer-business_entity", input);
    assert.equal(p.chargebee.action, "manual");
    assert.match(p.chargebee.reason, /inactive/);
    settles("customer-business_entity", input, p);
    const renamed = edited("customer-business_entity", s, { cb: { name: "Fjordkraft Bølge AS" } });
    const q = plan("customer-business_entity", renamed);
    assert.deepEqual(q.customerp.changes, { name: "Fjordkraft Bølge AS" });
    settles("customer-business_entity", renamed, q);
  });

  test("product-item: a rename in Chargebee converges in one round (external_name follows name)",
    () => {
      const s = synced("product-item");
      const input = edited("product-item", s, { cb: { name: "Teekanne Deluxe 李" } });
      const p = plan("product-item", input, FLOWS["product-item"].options);
      assert.deepEqual(p.customerp.changes, { name: "Teekanne Deluxe 李" });
      settles("product-item", input, p);
    });

  test("product-item: price edits in yen both ways; an inactive product archives the item", () => {
    const opts = FLOWS["product-item"].options;
    const s = synced("product-item");
    const cpPrice = edited("product-item", s, { cp: { price: "1600" } });
    const p = plan("product-item", cpPrice, opts);
    assert.deepEqual(requests(p), [["/item_prices/TEA-1-JPY", { price: 1600 }]]);
    settles("product-item", cpPrice, p);
    const cbPrice = withLinks("product-item", { customerp: s.customerp, base: s.base,
      chargebee: { ...s.chargebee, updated_at: CB_LATER, item_prices: [{ ...s.chargebee.item_prices[0], price: 1750, updated_at: CB_LATER }] } });
    const q = plan("product-item", cbPrice, opts);
    assert.deepEqual(q.customerp.changes, { price: "1750" });
    settles("product-item", cbPrice, q);
    const inactive = edited("product-item", s, { cp: { is_active: false } });
    const a = plan("product-item", inactive, opts);
    assert.deepEqual(requests(a), [["/items/TEA-1", { status: "archived" }]]);
    settles("product-item", inactive, a);
    const archived = edited("product-item", s, { cb: { status: "archived" } });
    const b = plan("product-item", archived, opts);
    assert.deepEqual(b.customerp.changes, { is_active: false });
    settles("product-item", archived, b);
  });

  test("quote-order: declined or expired cancels the order; a cancelled order declines the quote; prices are not writable", () => {
    const opts = FLOWS["quote-order"].options;
    const s = synced("quote-order");
    for (const status of ["declined", "expired"]) {
      const input = edited("quote-order", s, { cp: { status } });
      const p = plan("quote-order", input, opts);
      assert.deepEqual(requests(p), [["/orders/cp-quote-42/cancel", { cancellation_reason: "product_not_required" }]]);
      if (status === "declined") settles("quote-order", input, p);
    }
    const cancelled = edited("quote-order", s, { cb: { status: "cancelled", cancellation_reason: "others" } });
    const c = plan("quote-order", cancelled, opts);
    assert.deepEqual(c.customerp.changes, { status: "declined" });
    settles("quote-order", cancelled, c);
    const repriced = structuredClone(s.customerp);
    repriced.lines[0].unit_price = "1400";
    repriced.updated = CP_EDIT;
    const r = plan("quote-order", { customerp: repriced, chargebee: s.chargebee, base: s.base, links: orderLinks() }, opts);
    assert.deepEqual(r.chargebee.requests, [], "a line price cannot change through the API");
    assert.ok(r.warnings.some((w) => w.code === "not_writable" && w.property === "lines.unit_price"), JSON.stringify(r.warnings));
  });

  test("order-order: shipping in Customerp, delivery in Chargebee, line statuses and cancel both ways", () => {
    const opts = FLOWS["order-order"].options;
    const s = synced("order-order");
    const shipped = edited("order-order", s, { cp: { status: "shipped", shipped_at: "2026-03-06T08:00:00+01:00", delivery_date: "2026-03-10" } });
    const p = plan("order-order", shipped, opts);
    assert.deepEqual(requests(p), [["/orders/cp-order-107", { status: "shipped", shipped_at: 1772780400, shipping_date: 1773097200 }]]);
    settles("order-order", shipped, p);
    const delivered = edited("order-order", s, { cb: { status: "delivered", delivered_at: 1773000000 } });
    const d = plan("order-order", delivered, opts);
    assert.deepEqual(d.customerp.changes, { status: "delivered", delivered_at: "2026-03-08T21:00:00+01:00" });
    settles("order-order", delivered, d);
    // Line statuses, matched by line link: lines are given whole to Customerp.
    const cbLines = structuredClone(s.chargebee);
    cbLines.order_line_items[1].status = "shipped";
    cbLines.updated_at = CB_LATER;
    const li = plan("order-order", { customerp: s.customerp, chargebee: cbLines, base: s.base, links: orderLinks() }, opts);
    assert.deepEqual(li.customerp.changes.lines.map((l) => [l.sku, l.status]), [["TEA-1", "queued"], ["CUP-2", "shipped"]]);
    settles("order-order", { customerp: s.customerp, chargebee: cbLines, base: s.base, links: orderLinks() }, li);
    const cpLines = structuredClone(s.customerp);
    cpLines.lines[0].status = "on_hold";
    cpLines.updated = CP_EDIT;
    const lo = plan("order-order", { customerp: cpLines, chargebee: s.chargebee, base: s.base, links: orderLinks() }, opts);
    // Only the line that changed is sent, by its Chargebee line id.
    assert.deepEqual(requests(lo), [["/orders/cp-order-107", { order_line_items: [{ id: "o_li_0", status: "on_hold" }] }]]);
    settles("order-order", { customerp: cpLines, chargebee: s.chargebee, base: s.base, links: orderLinks() }, lo);
    // Cancel: Customerp → the cancel endpoint (unknown reason → others, with a warning); Chargebee → cancelled.
    const cancel = edited("order-order", s, { cp: { status: "cancelled", cancellation_reason: "kunden angret 😕", cancelled_at: "2026-03-07T10:00:00+01:00" } });
    const c = plan("order-order", cancel, opts);
    assert.deepEqual(requests(c).at(-1), ["/orders/cp-order-107/cancel", { cancellation_reason: "others", cancelled_at: 1772874000 }]);
    assert.ok(c.warnings.some((w) => w.code === "unknown_value"), JSON.stringify(c.warnings));
    const cbCancel = edited("order-order", s, { cb: { status: "cancelled", cancellation_reason: "product_not_available", cancelled_at: 1773000000 } });
    const cc = plan("order-order", cbCancel, opts);
    assert.deepEqual(cc.customerp.changes, { status: "cancelled", cancellation_reason: "product_not_available", cancelled_at: "2026-03-08T21:00:00+01:00" });
    settles("order-order", cbCancel, cc);
  });
});

// ================================================================================================================
describe("conflicts: edits on both sides are settled by the policy and reported", () => {
  const cases = [
    // [name, options, cpUpdated, cbUpdated, winner, rule]
    ["newest, Chargebee later", {}, CP_EDIT, CB_LATER, "chargebee", "newest: Chargebee was updated later"],
    ["newest, Customerp later", {}, CP_LATER, CB_LATER, "customerp", "newest: Customerp was updated later"],
    ["newest, a tie goes to Customerp", {}, CP_EDIT, CB_TIE, "customerp", /^newest/],
    ["conflicts: customerp", { conflicts: "customerp" }, CP_EDIT, CB_LATER, "customerp", "conflicts: customerp"],
    ["conflicts: chargebee", { conflicts: "chargebee" }, CP_LATER, CB_LATER, "chargebee", "conflicts: chargebee"],
  ];
  for (const flow of FLOW_IDS) {
    const f = FLOWS[flow];
    const c = f.conflict;
    const policies = [
      ...cases,
      ["propertyWinners over conflicts: chargebee", { conflicts: "chargebee", propertyWinners: { [c.property]: "customerp" } },
        CP_EDIT, CB_LATER, "customerp", "propertyWinners: customerp"],
      ["propertyWinners over newest", { propertyWinners: { [c.property]: "chargebee" } },
        CP_LATER, CB_LATER, "chargebee", "propertyWinners: chargebee"],
    ];
    for (const [name, policy, cpUpdated, cbUpdated, winner, rule] of policies) {
      test(`${flow}: ${name} → ${winner} wins ${c.property}, reported with both values and the base; converges`, () => {
        const s = synced(flow);
        const options = { ...f.options, ...policy };
        const input = edited(flow, s, { cp: c.cp, cb: c.cb, cpUpdated, cbUpdated });
        const p = plan(flow, input, options);
        assert.equal(p.conflicts.length, 1, JSON.stringify(p.conflicts));
        const { rule: gotRule, ...conflict } = p.conflicts[0];
        assert.deepEqual(conflict, { property: c.property, customerp: c.customerp, chargebee: c.chargebee, base: c.base, winner });
        if (rule instanceof RegExp) assert.match(gotRule, rule);
        else assert.equal(gotRule, rule);
        if (winner === "customerp") {
          assert.equal(p.customerp.action, "none");
          if (typeof c.cpWins === "string") {
            assert.equal(p.chargebee.action, "manual");
            assert.ok(p.chargebee.reason.includes(c.cpWins), p.chargebee.reason);
          } else {
            assert.deepEqual(requests(p), c.cpWins);
          }
        } else {
          assert.deepEqual(p.chargebee.requests, []);
          assert.ok(["none", "update"].includes(p.chargebee.action) && p.chargebee.action !== "manual");
          assert.deepEqual(p.customerp.changes, c.cbWins);
        }
        settles(flow, input, p, { options });
      });
    }

    test(`${flow}: the same edit on both sides writes nothing and reports no conflict`, () => {
      const s = synced(flow);
      const input = edited(flow, s, { cp: f.same.cp, cb: f.same.cb });
      const p = plan(flow, input, f.options);
      assert.ok(quiet(p), JSON.stringify(p));
      assert.deepEqual(p.conflicts, []);
      settles(flow, input, p);
    });
  }

  test("order-order: propertyWinners decides only its property; the others follow the policy", () => {
    const opts = FLOWS["order-order"].options;
    const s = synced("order-order");
    const input = edited("order-order", s, { cp: { tracking_number: "A-1", carrier: "Bring" }, cb: { tracking_id: "B-2", shipment_carrier: "Schenker" } });
    const p = plan("order-order", input, { ...opts, propertyWinners: { carrier: "customerp" } });
    const by = Object.fromEntries(p.conflicts.map((c) => [c.property, c]));
    assert.deepEqual(Object.keys(by).sort(), ["carrier", "tracking_number"]);
    assert.deepEqual([by.carrier.winner, by.carrier.customerp, by.carrier.chargebee, by.carrier.base], ["customerp", "Bring", "Schenker", "Posten"]);
    assert.deepEqual([by.tracking_number.winner, by.tracking_number.base], ["chargebee", "TRK-0"]);
    assert.deepEqual(p.customerp.changes, { tracking_number: "B-2" });
    assert.deepEqual(requests(p), [["/orders/cp-order-107", { shipment_carrier: "Bring" }]]);
    settles("order-order", input, p, { options: { ...opts, propertyWinners: { carrier: "customerp" } } });
  });

  test("conflicts on money and dates report the three values in one comparable form",
    () => {
      const opts = { itemFamilyId: "kitchen-ware" };
      const s = syncRounds("product-item", { customerp: product("USD-1", "15.00", "USD") }, opts);
      const cb = { ...s.chargebee, updated_at: CB_LATER, item_prices: [{ ...s.chargebee.item_prices[0], price: 1700, updated_at: CB_LATER }] };
      const p = plan("product-item", { customerp: { ...s.customerp, price: "16", updated: CP_EDIT }, chargebee: cb, base: s.base }, opts);
      const { rule: _r, ...price } = p.conflicts[0];
      assert.deepEqual(price, { property: "price", customerp: "16.00", chargebee: "17.00", base: "15.00", winner: "chargebee" });
      const o = synced("order-order");
      const q = plan("order-order", edited("order-order", o, { cp: { order_date: "2026-03-06" }, cb: { order_date: 1772838000 } }), FLOWS["order-order"].options);
      const { rule: _s, ...date } = q.conflicts[0];
      assert.deepEqual(date, { property: "order_date", customerp: "2026-03-06", chargebee: "2026-03-07", base: "2026-03-05", winner: "chargebee" });
    });

  test("product-item: under newest, a later Chargebee price edit wins even when only the item price's clock moved",
    () => {
      const opts = FLOWS["product-item"].options;
      const s = synced("product-item");
      // Chargebee changed the price at CB_LATER; the item itself was last changed before the Customerp edit.
      const cb = { ...s.chargebee, item_prices: [{ ...s.chargebee.item_prices[0], price: 1700, updated_at: CB_LATER }] };
      const p = plan("product-item", { customerp: { ...s.customerp, price: "1600", updated: CP_EDIT }, chargebee: cb, base: s.base }, opts);
      assert.equal(p.conflicts[0].winner, "chargebee", JSON.stringify(p.conflicts));
    });
});

// ================================================================================================================
describe("encodeForm is the official SDK's encoding", () => {
  const post = (path, params) => ({ method: "POST", path, params, idempotencyKey: "k" });
  const SAMPLES = [
    post("/customers", { id: "cp-contact-17", first_name: "Åse", last_name: "Ødegård-李 😀", company: "Smith & Sons=1+2% ~*!'()",
      phone: "+47 22 00 00 00", locale: "nb-NO", business_entity_id: "AzqK1mUbN2x1Q4Fa",
      billing_address: { line1: "Storgata 1", line2: "", line3: "c/o Økonomi", zip: "0155", city: "Tromsø", state: "Troms", country: "NO" },
      meta_data: { customerp: { type: "contact", id: "17" }, "k&=": "v æ 😀", n: 1.5, b: true, nil: null, list: [1, "a"] } }),
    post("/customers/c1", { first_name: "  Åse  ", last_name: "a\nb\r\nc\td", email: "x@example.com", phone: "   " }),
    post("/customers/c1", { last_name: "\u00a0x\u3000", first_name: "a\u030a", company: "" }),
    post("/customers/c1/update_billing_info", { billing_address: { line1: "Hauptstraße 5", line2: "", city: "Berlin", country: "DE" } }),
    post("/customers/c1/delete", {}),
    post("/invoices/create_for_charge_items_and_charges", { customer_id: "cp-contact-17", currency_code: "JPY", po_number: "Q-1",
      item_prices: [{ item_price_id: "TEA-1-JPY", quantity: 2, unit_price: 1500 }, { item_price_id: "CUP-2-JPY", quantity: 3 }],
      shipping_address: { line1: "1-2-3 銀座", city: "東京", country: "JP" } }),
    post("/orders/o1", { note: "Ring på døra 🚪", order_date: 1772665200,
      order_line_items: [{ id: "o_li_0", status: "shipped", sku: "TEA 1" }, { id: "o_li_1", sku: "" }] }),
    post("/orders/o1/cancel", { cancellation_reason: "others", cancelled_at: 1772874000 }),
    post("/items", { id: "TEA-1", name: "Teekanne – 李", type: "charge", item_family_id: "kitchen-ware", is_shippable: false,
      metadata: { customerp: { type: "product", id: "P-TEA-1" } } }),
    post("/item_prices", { id: "TEA-1-JPY", name: "TEA-1-JPY", item_id: "TEA-1", price: 9007199254740991, currency_code: "JPY" }),
    post("/item_prices/TEA-1-JPY", { price: 0 }),
  ];
  for (const [i, req] of SAMPLES.entries()) {
    test(`sample ${i}: ${req.path} ${Object.keys(req.params).join(",")}`, () => {
      const ours = encodeForm(req.params);
      const sdk = sdkEncodeForm(req);
      assert.deepEqual(decodeForm(ours), decodeForm(sdk));
      assert.equal(ours, sdk);
    });
  }

  test("meta_data given as null or as a JSON string is encoded as the SDK does",
    () => {
      for (const params of [{ meta_data: null, first_name: "A" }, { meta_data: '{"a":1}' }]) {
        assert.equal(encodeForm(params), sdkEncodeForm(post("/customers/c1", params)), JSON.stringify(params));
      }
    });
});

// ================================================================================================================
describe("planBatch: every kind of record, one bad record per flow", () => {
  const BAD = {
    "contact-customer": [{ customerp: { ...contact(), id: "18", email: "ikke en e-post" }, chargebee: null, base: null },
      { code: "invalid_value", path: "/customerp/email", recordId: "18" }],
    "employee-customer": [{ customerp: patch(employee(), { id: "77", address: { country: "Deutschland" } }), chargebee: null, base: null },
      { code: "invalid_value", path: "/customerp/address/country", recordId: "77" }],
    "customer-business_entity": [{ customerp: { ...erpCustomer(), id: "C-9", name: "Ø".repeat(101) }, chargebee: null, base: null },
      { code: "too_long", path: "/customerp/name", recordId: "C-9" }],
    "product-item": [{ customerp: product("BAD-1", "10", "XYZ"), chargebee: null, base: null },
      { code: "invalid_value", path: "/customerp/currency", recordId: "P-BAD-1" }],
    "quote-order": [(() => { const q = { ...quote(), id: "43", number: "Q-2026-0043" }; q.lines = structuredClone(q.lines); q.lines[1].quantity = "1.5"; return { customerp: q, chargebee: null, base: null, links: orderLinks() }; })(),
      { code: "invalid_value", path: "/customerp/lines/1/quantity", recordId: "43" }],
    "order-order": [(() => { const o = { ...cbOrder(), id: "1188" }; o.order_line_items = [{ ...o.order_line_items[0], status: "verloren" }]; return { customerp: null, chargebee: o, base: null, links: cbOrderLinks() }; })(),
      { code: "invalid_value", path: "/chargebee/order_line_items/0/status", recordId: "1188" }],
  };
  const NEW_CB = {
    "contact-customer": () => cbCustomer(),
    "employee-customer": () => patch(cbCustomer(), { id: "AzEmp", email: "emp@example.com", meta_data: { customerp: { type: "employee" } } }),
    "customer-business_entity": () => businessEntityEvent(),
    "product-item": () => cbItem(),
    "quote-order": () => cbOrder(),
    "order-order": () => cbOrder(),
  };

  for (const flow of FLOW_IDS) {
    test(`${flow}: the bad slot is a SyncError with code, path and recordId; every other slot is planned as alone`, () => {
      const f = FLOWS[flow];
      const s = synced(flow);
      const [bad, expected] = BAD[flow];
      const inputs = [
        withLinks(flow, { customerp: f.customerp(), chargebee: null, base: null }),
        withLinks(flow, flow === "order-order" ? { customerp: null, chargebee: NEW_CB[flow](), base: null, links: cbOrderLinks() }
                                               : { customerp: null, chargebee: NEW_CB[flow](), base: null }),
        withLinks(flow, { customerp: s.customerp, chargebee: s.chargebee, base: s.base }),
        edited(flow, s, { cp: f.cpEdit.patch }),
        bad,
        edited(flow, s, { cb: f.cbEdit.patch }),
        edited(flow, s, { cp: f.conflict.cp, cb: f.conflict.cb }),
        edited(flow, s, { cp: { deleted: true } }),
      ];
      const out = planBatch(flow, inputs, f.options);
      assert.equal(out.length, inputs.length);
      const badAt = inputs.indexOf(bad);
      for (const [i, slot] of out.entries()) {
        if (i === badAt) {
          assert.equal(slot.ok, false);
          assert.ok(!("plan" in slot));
          const e = slot.error;
          assert.equal(e.name, "SyncError");
          assert.deepEqual({ code: e.code, path: e.path, recordId: e.recordId, flow: e.flow }, { ...expected, flow });
          assert.ok(typeof e.message === "string" && e.message.length > 0);
          assert.notEqual(atPointer(bad, e.path), undefined, `path ${e.path} does not point into the input`);
          // The same error as plan() alone throws.
          throwsSyncError(() => plan(flow, bad, f.options), { code: expected.code, path: expected.path, recordId: expected.recordId });
        } else {
          assert.equal(slot.ok, true, `slot ${i}: ${JSON.stringify(slot.error)}`);
          assert.deepEqual(slot.plan, plan(flow, inputs[i], f.options), `slot ${i} differs from plan() alone`);
        }
      }
      assert.equal(out[2].plan.chargebee.action, "none", "the synced pair has nothing to do");
      assert.ok(quiet(out[2].plan));
    });
  }

  test("a lone UTF-16 surrogate is a SyncError naming the flow, the record and the field",
    () => {
      const bad = { customerp: { ...contact(), id: "19", first_name: "Åse\ud800" }, chargebee: null, base: null };
      const [slot] = planBatch("contact-customer", [bad]);
      assert.deepEqual({ code: slot.error.code, path: slot.error.path, recordId: slot.error.recordId, flow: slot.error.flow },
        { code: "invalid_value", path: "/customerp/first_name", recordId: "19", flow: "contact-customer" });
      throwsSyncError(() => plan("contact-customer", bad), { code: "invalid_value", flow: "contact-customer", recordId: "19" });
    });

  test("an error's path is a JSON Pointer into the input, also through envelopes and item price lists",
    () => {
      const cases = [
        ["contact-customer", { chargebee: { customer: { ...cbCustomer(), updated_at: "gestern" } } }, {}],
        ["order-order", { chargebee: { order: { ...cbOrder(), order_date: "x" } } }, {}],
        ["customer-business_entity", { chargebee: patch(businessEntityEvent(), { content: { business_entity: { name: 5 } } }) }, {}],
        ["product-item", { chargebee: { ...cbItem(), item_prices: [{ ...cbItem().item_prices[0], currency_code: "ZZZ" }] } }, { itemFamilyId: "x" }],
        ["product-item", { chargebee: { ...cbItem(), item_prices: [{ ...cbItem().item_prices[0], price: "49" }] } }, { itemFamilyId: "x" }],
      ];
      for (const [flow, input, opts] of cases) {
        const [slot] = planBatch(flow, [input], opts);
        assert.equal(slot.ok, false);
        assert.notEqual(atPointer(input, slot.error.path), undefined, `${flow}: ${slot.error.path} is not in the input`);
      }
    });
});

// ================================================================================================================
describe("determinism and idempotency keys", () => {
  const keys = (p) => p.chargebee.requests.map((r) => r.idempotencyKey);

  for (const flow of FLOW_IDS) {
    const f = FLOWS[flow];
    test(`${flow}: the same input gives deep-equal output, and equal idempotency keys`, () => {
      const s = synced(flow);
      const inputs = [
        withLinks(flow, { customerp: f.customerp(), chargebee: null, base: null }),
        edited(flow, s, { cp: f.cpEdit.patch }),
        edited(flow, s, { cp: f.conflict.cp, cb: f.conflict.cb }),
      ];
      for (const input of inputs) {
        const a = plan(flow, structuredClone(input), f.options);
        const b = plan(flow, structuredClone(input), f.options);
        assert.deepEqual(a, b);
        assert.equal(JSON.stringify(a), JSON.stringify(b), "byte for byte");
        assert.deepEqual(keys(a), keys(b));
        for (const k of keys(a)) assert.ok(k.length >= 1 && k.length <= 100, k);
      }
      assert.deepEqual(planBatch(flow, inputs, f.options), planBatch(flow, structuredClone(inputs), f.options));
      assert.deepEqual(toChargebee(flow, f.customerp(), f.options), toChargebee(flow, f.customerp(), f.options));
      assert.deepEqual(toCustomerp(flow, s.chargebee, f.options), toCustomerp(flow, structuredClone(s.chargebee), f.options));
      assert.deepEqual(match(flow, [s.customerp], [s.chargebee], f.options), match(flow, [s.customerp], [s.chargebee], f.options));
    });

    if (flow === "customer-business_entity") {
      test(`${flow}: no Chargebee requests, so no idempotency keys (a person makes the change)`, () => {
        const s = synced(flow);
        const p = plan(flow, edited(flow, s, { cp: f.cpEdit.patch }), f.options);
        assert.equal(p.chargebee.action, "manual");
        assert.deepEqual(p.chargebee.requests, []);
      });
      continue;
    }

    test(`${flow}: the same request planned from another base gets another idempotency key`, () => {
      const s = synced(flow);
      // Base A: before both sides made the same edit; base B: after it (the same records, a later state).
      const both = edited(flow, s, { cp: f.other.cp, cb: f.other.cb });
      const sameEdit = plan(flow, both, f.options);
      assert.ok(quiet(sameEdit), JSON.stringify(sameEdit));
      assert.notDeepEqual(sameEdit.base, s.base);
      const records = { customerp: patch(both.customerp, { ...f.cpEdit.patch, updated: CP_LATER }), chargebee: both.chargebee };
      const fromA = plan(flow, withLinks(flow, { ...records, base: s.base }), f.options);
      const fromB = plan(flow, withLinks(flow, { ...records, base: sameEdit.base }), f.options);
      assert.deepEqual(requests(fromA), f.cpEdit.requests);
      assert.deepEqual(requests(fromB), f.cpEdit.requests, "the same request…");
      for (const [i, k] of keys(fromA).entries()) assert.notEqual(k, keys(fromB)[i], "…from another base gets another key");
      // And the same request from the same base keeps its key.
      assert.deepEqual(keys(plan(flow, withLinks(flow, { ...records, base: structuredClone(s.base) }), f.options)), keys(fromA));
    });
  }

  test("product-item: a JPY price A → B → A → B never reuses the first B's key",
    () => {
    const opts = FLOWS["product-item"].options;
    let s = synced("product-item");
    const seen = [];
    for (const [price, day] of [["1600", "02"], ["1500", "03"], ["1600", "04"]]) {
      const input = { customerp: { ...s.customerp, price, updated: `2026-07-${day}T00:00:00Z` }, chargebee: s.chargebee, base: s.base };
      const p = plan("product-item", input, opts);
      assert.deepEqual(requests(p), [["/item_prices/TEA-1-JPY", { price: Number(price) }]]);
      seen.push(p.chargebee.requests[0].idempotencyKey);
      s = settles("product-item", input, p, { now: 1_790_000_000 + seen.length * 1000 });
    }
    assert.equal(new Set(seen).size, 3, `keys: ${seen}`);
  });

  test("the idempotency key does not depend on the key order of the stored base (e.g. a jsonb column)",
    () => {
      const reorder = (v) => (Array.isArray(v) ? v.map(reorder)
        : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reorder(x)])) : v);
      const s = synced("contact-customer");
      const input = edited("contact-customer", s, { cp: FLOWS["contact-customer"].cpEdit.patch });
      const a = plan("contact-customer", input);
      const b = plan("contact-customer", { ...input, base: reorder(input.base) });
      assert.deepEqual(input.base, reorder(input.base));
      assert.deepEqual(keys(b), keys(a));
    });
});

// ================================================================================================================
test("every plan of this file went through the oracle and the encoding check", () => {
  // plan and planBatch come from helpers.mjs only (which checks every plan), never straight from the package.
  const source = readFileSync(fileURLToPath(import.meta.url), "utf8");
  const fromPackage = source.match(/import\s*\{([^}]*)\}\s*from\s*"customerp-chargebee"/g) ?? [];
  assert.equal(fromPackage.length, 1);
  assert.doesNotMatch(fromPackage[0], /\bplan(Batch)?\b/);
  assert.doesNotMatch(source, /import\s+\*\s+as\s+\w+\s+from\s+"customerp-chargebee"|require\("customerp-chargebee"\)/);
  assert.ok(checked.plans >= 200, `only ${checked.plans} plans checked`);
  assert.ok(checked.requests >= 100, `only ${checked.requests} requests checked`);
  assert.equal(checked.encodings, checked.requests);
});
