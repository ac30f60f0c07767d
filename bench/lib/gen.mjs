// Deterministic generators of realistic records, shaped like the ones the scenario suite uses:
// Customerp contacts, products and orders (5 lines by default), and Chargebee customers for matching.
// The same seed gives the same records, so every run of the bench plans the same inputs.

export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ["Åse", "Jürgen", "Marie", "Ola", "Søren", "Chloé", "Ingrid", "José", "Li", "Mette", "Paul", "Zoë",
  "Björn", "Anna", "Håkon", "Émile", "Kari", "Nils", "Sofia", "Tomasz"];
const LAST = ["Ødegård", "Müller", "Hansen", "Nordmann", "Kjær", "Dubois", "Berg", "García", "Wang", "Lund",
  "Smith", "Zähringer", "Johansson", "Kowalski", "Næss", "Lefèvre", "Olsen", "Svensson", "Rossi", "Nowak"];
const COMPANIES = ["Fjordkraft AS", "Nordlys Software AS", "Example Widgets Ltd", "Brødrene Dahl", "Müller GmbH",
  "Société Générale d'Essai", "Kjøkkenhuset", "Acme Corp", "Svenska Verktyg AB", "Polska Stal S.A."];
const PLACES = [
  ["Storgata 1", "0155", "Oslo", "Oslo", "NO"], ["Hauptstraße 5", "10115", "Berlin", "Berlin", "DE"],
  ["Kaigata 3", "5016", "Bergen", "Vestland", "NO"], ["Drottninggatan 10", "111 51", "Stockholm", "Stockholm", "SE"],
  ["100 Example Street", "94107", "San Francisco", "California", "US"], ["12 Rue de Rivoli", "75001", "Paris", "Île-de-France", "FR"],
  ["Strøget 4", "1160", "København", "Hovedstaden", "DK"], ["10 Downing Street", "SW1A 2AA", "London", "England", "GB"],
];
const LANGS = ["nb-NO", "de-DE", "en", "sv-SE", "fr-FR", "da-DK"];
const CURRENCIES = ["USD", "EUR", "NOK", "SEK"];
const pick = (r, a) => a[Math.floor(r() * a.length)];
const pad = (n, w) => String(n).padStart(w, "0");

function ascii(s) {
  return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[ØøÆæ]/g, (c) => ({ Ø: "O", ø: "o", Æ: "AE", æ: "ae" })[c]);
}

/** The e-mail of person i (the matching generator shares it between the two sides). */
export function email(i) {
  const r = rng(i * 7 + 1);
  return `${ascii(pick(r, FIRST)).toLowerCase()}.${ascii(pick(r, LAST)).toLowerCase()}.${i}@example${i % 97}.com`;
}

export function contact(i) {
  const r = rng(i * 31 + 3);
  const [street, zip, city, region, country] = pick(r, PLACES);
  const first = pick(r, FIRST);
  const last = pick(r, LAST);
  const day = 1 + (i % 28);
  return {
    id: String(i), first_name: first, last_name: last, email: email(i),
    phone: r() < 0.8 ? `+47 22 ${pad(i % 100, 2)} ${pad(i % 1000, 3)}` : "", mobile: `+47 900 ${pad(i % 100000, 5)}`,
    job_title: "CFO", language: pick(r, LANGS), customer_id: `C-${i % 5000}`, customer_name: pick(r, COMPANIES),
    address: { street_1: street, street_2: r() < 0.5 ? `${1 + (i % 9)}. etasje` : "", street_3: "", postal_code: zip,
      city, region, country },
    is_active: true, created: `2026-01-${pad(day, 2)}T09:00:00+01:00`, updated: `2026-03-${pad(day, 2)}T10:15:00+01:00`,
    deleted: false,
  };
}

export function product(i) {
  const r = rng(i * 17 + 5);
  const kind = pick(r, ["goods", "service", "subscription"]);
  const p = {
    id: `P-${i}`, sku: `SKU-${pad(i, 7)}`, name: `Produkt ${i} – Ærlig ${pick(r, LAST)}`, description: "Håndlaget i Norge",
    unit: "pcs", kind, price: `${1 + Math.floor(r() * 5000)}.${pad(Math.floor(r() * 100), 2)}`,
    currency: pick(r, CURRENCIES), vat_rate: "25", is_active: true,
    created: "2026-01-01T00:00:00Z", updated: `2026-02-${pad(1 + (i % 28), 2)}T00:00:00Z`,
  };
  if (kind === "subscription") {
    p.billing_period_unit = pick(r, ["month", "year"]);
    p.billing_period = 1;
  }
  return p;
}

/** An order with `lines` lines; its contact and products come from the pools above. */
export function order(i, lines = 5) {
  const r = rng(i * 13 + 7);
  const [street, zip, city, region, country] = pick(r, PLACES);
  const day = 1 + (i % 28);
  const contactId = String(i % 50000);
  const ls = [];
  for (let k = 0; k < lines; k++) {
    const pid = (i * 5 + k * 7919) % 20000;
    ls.push({ id: `L${k + 1}`, product_id: `P-${pid}`, sku: `SKU-${pad(pid, 7)}`, description: `Vare ${pid}`,
      quantity: 1 + Math.floor(r() * 9), unit_price: `${1 + Math.floor(r() * 2000)}.${pad(Math.floor(r() * 100), 2)}` });
  }
  return {
    id: String(100000 + i), number: `SO-2026-${pad(i, 7)}`, customer_id: `C-${i % 5000}`, contact_id: contactId,
    status: "confirmed", currency: "NOK", order_date: `2026-03-${pad(day, 2)}`, quote_id: null, quote_date: null,
    valid_until: null, tracking_number: null, note: r() < 0.3 ? "Levering før påske" : "",
    delivery_address: { street_1: street, postal_code: zip, city, country, region },
    lines: ls, created: `2026-03-${pad(day, 2)}T09:00:00+01:00`, updated: `2026-03-${pad(day, 2)}T10:00:00+01:00`,
  };
}

/** The parents' links an order's plan needs: its contact and the products of its lines, nothing more. */
export function orderLinks(o) {
  const products = {};
  for (const l of o.lines) products[l.product_id] = l.sku;
  return { "contact-customer": { [o.contact_id]: `cp-contact-${o.contact_id}` }, "product-item": products };
}

export const FLOWS = {
  "contact-customer": { record: contact, options: {} },
  "product-item": { record: product, options: { itemFamilyId: "hardware" } },
  "order-order": { record: order, options: {}, links: orderLinks },
};

/** The PlanInput of an initial sync: the Customerp record, nothing in Chargebee yet, never synced. */
export function planInput(flow, rec) {
  const input = { customerp: rec, chargebee: null, base: null };
  const links = FLOWS[flow].links;
  if (links) input.links = links(rec);
  return input;
}

/**
 * Two unlinked sides for `match` on contact-customer, n records each: `shared` of the Customerp
 * e-mails also exist in Chargebee (some in another case or with spaces around), a few keys are
 * duplicated on one side (ambiguous: they link nothing), some records have no e-mail, and a few
 * Chargebee customers carry a tag from an earlier link. Records are lean but realistic: the fields a
 * host lists for unlinked records.
 */
export function matchSides(n, { shared = 0.6, variants = 0.1, duplicates = 0.005, noEmail = 0.02, tagged = 0.01 } = {}) {
  const r = rng(n);
  const cps = new Array(n);
  const cbs = new Array(n);
  const stats = { shared: 0, variants: 0, duplicates: 0, noEmail: 0, tagged: 0 };
  for (let i = 0; i < n; i++) {
    const first = FIRST[i % FIRST.length];
    const last = LAST[(i * 7) % LAST.length];
    let e = r() < noEmail ? "" : email(i);
    if (!e) stats.noEmail++;
    cps[i] = { id: String(i), first_name: first, last_name: last, email: e, customer_name: COMPANIES[i % COMPANIES.length],
      is_active: true, updated: "2026-03-01T10:15:00+01:00" };
  }
  for (let j = 0; j < n; j++) {
    let e;
    const u = r();
    if (u < shared && cps[j].email) {
      e = cps[j].email;
      stats.shared++;
      const v = r();
      if (v < variants / 2) { e = e.toUpperCase(); stats.variants++; }
      else if (v < variants) { e = `  ${e} `; stats.variants++; }
    } else {
      e = `cb.only.${j}@chargebee-example${j % 89}.org`;
    }
    if (j > 0 && r() < duplicates) { e = cbs[j - 1].email; stats.duplicates++; }
    const c = { id: `Az${pad(j, 8)}Kq3b`, first_name: FIRST[(j * 3) % FIRST.length], last_name: LAST[j % LAST.length],
      email: e, company: COMPANIES[j % COMPANIES.length], auto_collection: "on", net_term_days: 0,
      created_at: 1741097351 + j, updated_at: 1741179520 + j, locale: "en", deleted: false, object: "customer" };
    if (r() < tagged) { c.meta_data = { customerp: { type: "contact", id: String((j * 7919) % n) } }; stats.tagged++; }
    cbs[j] = c;
  }
  return { customerp: cps, chargebee: cbs, stats };
}

/** The one field an edit changes, per flow: a Customerp edit after the pair was last synced. */
const EDITS = {
  "contact-customer": (r) => ({ ...r, first_name: `${r.first_name}-Åse` }),
  "product-item": (r) => ({ ...r, name: `${r.name} (ny)` }),
  "order-order": (r) => ({ ...r, note: "Levering etter påske" }),
};

/**
 * A linked pair with one edit: the record created in Chargebee (`applyChargebee` of its create plan,
 * then of the plan after it, until the pair is settled), then one Customerp field changed later.
 * `api` is the package; returns the PlanInput and the Chargebee resource as Chargebee holds it.
 */
export function linkedPair(api, applyChargebee, flow, rec) {
  const { options } = FLOWS[flow];
  const create = planInput(flow, rec);
  const p1 = api.plan(flow, create, options);
  const cb1 = applyChargebee(null, p1, 1_780_000_000);
  const p2 = api.plan(flow, { ...create, chargebee: cb1, base: p1.base }, options);
  const cb2 = applyChargebee(cb1, p2, 1_780_000_100);
  const edited = { ...EDITS[flow](rec), updated: "2026-06-01T10:00:00Z" };
  return { input: { ...create, customerp: edited, chargebee: cb2, base: p2.base }, resource: cb2 };
}
