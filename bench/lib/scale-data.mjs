// Seed data at scale for bench/scale.mjs, put straight into the stand-ins' tables (no HTTP): N Customerp
// contacts and N/2 Chargebee customers, of which N/10 (a fifth) share a contact's e-mail and are matched.
// The contacts have no company (`customer_id: null`), so the contact-customer flow runs alone
// (`--flows contact-customer`): a contact with a company waits until customer-business_entity has linked it.
// A share of the names are not ASCII (Nordic, German, French, Japanese). The same seed gives the same data;
// 1M contacts are made and put in seconds.
import { rng } from "./gen.mjs";

const ASCII_FIRST = ["Ola", "Kari", "Anna", "Paul", "Nils", "Sofia", "Erik", "Maria", "John", "Emma", "Lars", "Ida"];
const ASCII_LAST = ["Hansen", "Berg", "Smith", "Lund", "Olsen", "Johnson", "Nordmann", "Larsen", "Moe", "Bakken"];
const UNICODE_FIRST = ["Åse", "Jürgen", "Søren", "Chloé", "José", "Zoë", "Björn", "Håkon", "Émile", "Ærlig", "太郎", "さくら"];
const UNICODE_LAST = ["Ødegård", "Müller", "Kjær", "Dubois", "García", "Zähringer", "Næss", "Lefèvre", "Gómez", "山田", "佐藤"];
const COMPANIES = ["Fjordkraft AS", "Nordlys Software AS", "Example Widgets Ltd", "Brødrene Dahl", "Müller GmbH",
  "Société d'Essai", "Kjøkkenhuset", "Acme Corp", "Svenska Verktyg AB", "株式会社 神戸トレーディング"];
const PLACES = [
  ["Storgata 1", "0155", "Oslo", "Oslo", "NO"], ["Hauptstraße 5", "10115", "Berlin", "Berlin", "DE"],
  ["Kaigata 3", "5016", "Bergen", "Vestland", "NO"], ["Drottninggatan 10", "111 51", "Stockholm", "Stockholm", "SE"],
  ["100 Example Street", "94107", "San Francisco", "California", "US"], ["12 Rue de Rivoli", "75001", "Paris", "Île-de-France", "FR"],
  ["Strøget 4", "1160", "København", "Hovedstaden", "DK"], ["1-2-3 Minatojima", "650-0046", "Kobe", "Hyogo", "JP"],
];
const LANGS = ["nb-NO", "de-DE", "en", "sv-SE", "fr-FR", "da-DK", "ja-JP"];
const LOCALES = ["nb", "de", "en", "sv", "fr", "da", "ja"];
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const DAY = 86_400;
/** The seed data's clock: every seeded record was changed before this (Unix seconds, 2026-03-01). */
export const SEED_NOW = 1_772_323_200;

/** @template T @param {() => number} r @param {T[]} a @returns {T} */
const pick = (r, a) => a[Math.floor(r() * a.length)];
const pad = (/** @type {number} */ n, /** @type {number} */ w) => String(n).padStart(w, "0");

/** An ASCII e-mail local part from a name. @param {string} s */
function ascii(s) {
  const t = s.normalize("NFD").replace(/[\u0300-\u036f]/g, "")
    .replace(/[ØøÆæÅå]/g, (c) => /** @type {Record<string, string>} */ ({ Ø: "O", ø: "o", Æ: "AE", æ: "ae", Å: "A", å: "a" })[c]);
  return /^[A-Za-z]+$/.test(t) ? t.toLowerCase() : "x";
}

/** RFC 3339 in Oslo's winter offset, from Unix seconds (fast: no Intl). @param {number} sec */
const stamp = (sec) => `${new Date((sec + 3600) * 1000).toISOString().slice(0, 19)}+01:00`;

/** The random source of record i of a kind. @param {number} seed @param {number} kind @param {number} i */
const source = (seed, kind, i) => rng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(kind, 0x85ebca6b) ^ i) >>> 0);

/** @param {() => number} r @param {number} unicodeShare */
function person(r, unicodeShare) {
  const unicode = r() < unicodeShare;
  return { first: pick(r, unicode ? UNICODE_FIRST : ASCII_FIRST), last: pick(r, unicode ? UNICODE_LAST : ASCII_LAST) };
}

/** Contact i's e-mail (1-based): unique, shared with the Chargebee customer that matches it. @param {number} i @param {string} first @param {string} last */
const contactEmail = (i, first, last) => `${ascii(first)}.${ascii(last)}.${i}@example${i % 97}.com`;

/**
 * Customerp contact i (1..n): no company, so the contact flow plans it on its own.
 * @param {number} i @param {{ seed?: number, unicodeShare?: number }} [o]
 */
export function scaleContact(i, o = {}) {
  const r = source(o.seed ?? 1, 1, i);
  const { first, last } = person(r, o.unicodeShare ?? 0.4);
  const [street, zip, city, region, country] = pick(r, PLACES);
  const created = SEED_NOW - 400 * DAY + Math.floor(r() * 300 * DAY);
  const updated = created + Math.floor(r() * 90 * DAY);
  return {
    id: String(i), first_name: first, last_name: last, email: contactEmail(i, first, last),
    phone: r() < 0.8 ? `+47 22 ${pad(i % 100, 2)} ${pad(i % 1000, 3)}` : "", mobile: `+47 9${pad(i % 10_000_000, 7)}`,
    job_title: pick(r, ["CFO", "Innkjøper", "Daglig leder", "Buyer", "Einkäufer"]), language: pick(r, LANGS),
    customer_id: null, customer_name: pick(r, COMPANIES),
    address: { street_1: street, street_2: r() < 0.4 ? `${1 + (i % 9)}. etasje` : "", street_3: "", postal_code: zip, city, region, country },
    is_active: true, created: stamp(created), updated: stamp(updated), deleted: false,
  };
}

/** The contact a matched Chargebee customer j shares its e-mail with (1-based; every fifth contact). @param {number} j */
export const matchedContact = (j) => 1 + 5 * j;

/**
 * Chargebee customer j (0..n/2-1), as the emulator keeps a customer: the first n/10 share the e-mail of
 * contact `matchedContact(j)` (some in capitals: the match folds case), the others are Chargebee's own.
 * @param {number} j @param {number} n contacts in Customerp @param {{ seed?: number, unicodeShare?: number }} [o]
 */
export function scaleCustomer(j, n, o = {}) {
  const seed = o.seed ?? 1;
  const r = source(seed, 2, j);
  const matched = j < Math.floor(n / 10);
  let first;
  let last;
  let email;
  let phone = `+47 4${pad(j % 10_000_000, 7)}`;
  let company = pick(r, COMPANIES);
  let locale = pick(r, LOCALES);
  let [street, zip, city, region, country] = pick(r, PLACES);
  if (matched) {
    // the same person, entered in both systems: mostly the same values; a fifth with another last name and
    // a tenth with another phone (first-sync conflicts), a tenth of the e-mails in capitals (the match folds case)
    const c = scaleContact(matchedContact(j), o);
    first = c.first_name;
    last = r() < 0.2 ? `${c.last_name}-Berg` : c.last_name;
    email = r() < 0.1 ? c.email.toUpperCase() : c.email;
    if (c.phone && r() >= 0.1) phone = c.phone;
    company = c.customer_name;
    locale = c.language.slice(0, 2);
    ({ street_1: street, postal_code: zip, city, region, country } = c.address);
  } else {
    ({ first, last } = person(r, o.unicodeShare ?? 0.4));
    email = `${ascii(first)}.${ascii(last)}.cb${j}@chargebee-example${j % 89}.org`;
  }
  let id = `Az${j.toString(36).padStart(6, "0")}`;
  while (id.length < 16) id += ALPHABET[Math.floor(r() * ALPHABET.length)];
  const created = SEED_NOW - 400 * DAY + Math.floor(r() * 300 * DAY);
  const updated = created + Math.floor(r() * 90 * DAY);
  /** @type {Record<string, any>} */
  const c = {
    id, first_name: first, last_name: last, email, phone, company,
    auto_collection: "on", net_term_days: 0, allow_direct_debit: false, created_at: created, taxability: "taxable",
    updated_at: updated, locale, pii_cleared: "active", channel: "web",
    resource_version: updated * 1000 + (j % 1000), deleted: false, object: "customer",
    billing_address: {
      first_name: first, last_name: last, line1: street, city, state: region, country, zip,
      validation_status: "not_validated", object: "billing_address",
    },
    card_status: "no_card", promotional_credits: 0, refundable_credits: 0, excess_payments: 0, unbilled_charges: 0,
    preferred_currency_code: pick(r, ["NOK", "EUR", "USD", "SEK"]), mrr: 0, tax_providers_fields: [], auto_close_invoices: true,
  };
  return c;
}

/**
 * Puts n contacts into a Customerp server's database. @param {import("../../host-example/src/local/customerp-server.mjs").CustomerpDb} db
 * @param {number} n @param {{ seed?: number, unicodeShare?: number }} [o]
 */
export function seedCustomerp(db, n, o = {}) {
  for (let i = 1; i <= n; i++) db.put("contacts", scaleContact(i, o));
}

/**
 * Puts n/2 customers into an emulated site (n: the contacts in Customerp). @param {import("../../host-example/src/local/chargebee-emulator/site.mjs").Site} site
 * @param {number} n @param {{ seed?: number, unicodeShare?: number }} [o]
 */
export function seedChargebee(site, n, o = {}) {
  const m = Math.floor(n / 2);
  for (let j = 0; j < m; j++) site.put("customer", scaleCustomer(j, n, o));
}

/**
 * Edits a share of the records on both sides, as people do between two runs: the phone of every k-th
 * Customerp contact, and of every k-th live Chargebee customer (some are pairs edited on both sides:
 * conflicts). Returns the counts. The emulator's clock stamps the Chargebee edits.
 * @param {import("../../host-example/src/local/customerp-server.mjs").CustomerpDb} db
 * @param {import("../../host-example/src/local/chargebee-emulator/site.mjs").Site} site
 * @param {number} share e.g. 0.01 @param {number} round makes each round's values differ
 */
export function editBoth(db, site, share, round = 1) {
  const contacts = db.table("contacts");
  const cpCount = Math.max(1, Math.round(contacts.size * share));
  const cpStep = Math.max(1, Math.floor(contacts.size / cpCount));
  let cp = 0;
  let k = 0;
  for (const id of contacts.keys()) {
    if (k++ % cpStep !== 0 || cp >= cpCount) continue;
    db.update("contacts", id, { phone: `+47 21 ${pad(round % 100, 2)} ${pad(cp % 1000, 3)}` }, undefined);
    cp++;
  }
  const customers = site.tables.customer;
  const cbCount = Math.max(1, Math.round(customers.size * share));
  const cbStep = Math.max(1, Math.floor(customers.size / cbCount));
  let cb = 0;
  k = 0;
  for (const [id, e] of customers) {
    if (k++ % cbStep !== 0 || cb >= cbCount || e.data.deleted) continue;
    site.updateCustomer(id, { phone: `+47 41 ${pad(round % 100, 2)} ${pad(cb % 1000, 3)}` });
    cb++;
  }
  return { customerp: cp, chargebee: cb };
}
