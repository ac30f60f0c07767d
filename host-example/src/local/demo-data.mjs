// Demo data for both systems: a Norwegian ERP's customers, contacts, employees, products, quotes and
// orders, and a Chargebee site that already has some of them (same e-mails in other spellings, the same
// names and skus), plus records only one side has. Non-ASCII names, NOK, EUR, GBP, USD, SEK and JPY.

import { createInvoiceForChargeItems, createOrder } from "./chargebee-emulator/billing.mjs";

/** @typedef {import("./chargebee-emulator/site.mjs").Site} Site */
/** @typedef {import("./customerp-server.mjs").CustomerpDb} CustomerpDb */

/** Unix seconds of an RFC 3339 time. @param {string} s */
const unix = (s) => Math.floor(Date.parse(s) / 1000);
const at = (/** @type {string} */ day, /** @type {string} */ time = "09:00:00") => `2026-${day}T${time}+01:00`;

export const DEMO_ITEM_FAMILY = "customerp-products";
export const DEMO_OWN_COMPANY = "Fjordvik Handel AS";

const addr = {
  oslo: { street_1: "Karl Johans gate 22", postal_code: "0159", city: "Oslo", country: "NO" },
  koeln: { street_1: "Hohe Straße 52", postal_code: "50667", city: "Köln", region: "Nordrhein-Westfalen", country: "DE" },
  kobe: { street_1: "中央区港島中町 6-1", postal_code: "650-0046", city: "神戸市", region: "兵庫県", country: "JP" },
  haworth: { street_1: "Church Street 1", postal_code: "BD22 8DR", city: "Haworth", country: "GB" },
  lyon: { street_1: "12 Rue de la République", postal_code: "69002", city: "Lyon", country: "FR" },
  bergen: { street_1: "Bryggen 7", postal_code: "5003", city: "Bergen", country: "NO" },
};

/** @param {CustomerpDb} db */
export function seedCustomerp(db) {
  const rec = (/** @type {string} */ type, /** @type {Record<string, unknown>} */ r, /** @type {string} */ day) =>
    db.put(type, { created: at("01-05"), updated: at(day), deleted: false, ...r });

  const customers = [
    { id: "1", name: "Nordlys Energi AS", organization_number: "923456789", vat_number: "NO923456789MVA", email: "post@nordlys.example", currency: "NOK", payment_terms_days: 14, is_active: true, address: addr.oslo },
    { id: "2", name: "Müller & Söhne GmbH", organization_number: "HRB 12345", vat_number: "DE811234567", email: "info@mueller-soehne.example", currency: "EUR", payment_terms_days: 30, is_active: true, address: addr.koeln },
    { id: "3", name: "株式会社 神戸トレーディング", email: "info@kobe-trading.example", currency: "JPY", payment_terms_days: 30, is_active: true, address: addr.kobe },
    { id: "4", name: "Brontë Books Ltd", vat_number: "GB123456789", email: "orders@bronte-books.example", currency: "GBP", payment_terms_days: 14, is_active: true, address: addr.haworth },
    { id: "5", name: "Café Olé SARL", email: "bonjour@cafe-ole.example", currency: "EUR", payment_terms_days: 30, is_active: false, address: addr.lyon },
  ];
  customers.forEach((c) => rec("customers", c, "02-10"));

  const contacts = [
    { id: "1", first_name: "Åse", last_name: "Ødegård", email: "ase.odegard@nordlys.example", phone: "+47 912 34 567", job_title: "Innkjøpssjef", language: "nb-NO", customer_id: "1", customer_name: "Nordlys Energi AS", address: addr.oslo, vat_number: "NO923456789MVA", segment: "enterprise", is_active: true },
    { id: "2", first_name: "Jürgen", last_name: "Müller", email: "juergen.mueller@mueller-soehne.example", language: "de-DE", customer_id: "2", customer_name: "Müller & Söhne GmbH", address: addr.koeln, vat_number: "DE811234567", segment: "smb", is_active: true },
    { id: "3", first_name: "太郎", last_name: "山田", email: "taro.yamada@kobe-trading.example", phone: "+81 78 123 4567", language: "ja-JP", customer_id: "3", customer_name: "株式会社 神戸トレーディング", address: addr.kobe, is_active: true },
    { id: "4", first_name: "Zoë", last_name: "Brontë", email: "zoe.bronte@bronte-books.example", mobile: "+44 7700 900123", language: "en-GB", customer_id: "4", customer_name: "Brontë Books Ltd", address: addr.haworth, is_active: true },
    { id: "5", first_name: "Łukasz", last_name: "Żółć", email: "lukasz.zolc@mueller-soehne.example", phone: "+49 221 555 0101", language: "pl-PL", customer_id: "2", customer_name: "Müller & Söhne GmbH", is_active: true },
    { id: "6", first_name: "Siobhán", last_name: "Ní Bhriain", email: "siobhan@cafe-ole.example", language: "ga-IE", customer_id: "5", customer_name: "Café Olé SARL", is_active: false },
    { id: "7", first_name: "François", last_name: "Lefèvre", email: "francois.lefevre@cafe-ole.example", phone: "+33 4 72 00 00 00", language: "fr-FR", customer_id: "5", customer_name: "Café Olé SARL", address: addr.lyon, is_active: true },
    { id: "8", first_name: "Ola", last_name: "Nordmann", email: "post@nordlys.example", language: "nb-NO", customer_id: "1", customer_name: "Nordlys Energi AS", is_active: true },
    { id: "9", first_name: "Sigrid", last_name: "Nordmann", email: "Post@Nordlys.example", language: "nb-NO", customer_id: "1", customer_name: "Nordlys Energi AS", is_active: true },
  ];
  contacts.forEach((c, i) => rec("contacts", c, `02-${String(11 + i).padStart(2, "0")}`));

  const employees = [
    { id: "1", employee_number: "E-1001", first_name: "Kari", last_name: "Nordmann", email: "kari.nordmann@fjordvik.example", phone: "+47 400 00 001", job_title: "Daglig leder", department: "Ledelse", address: addr.oslo, is_active: true },
    { id: "2", employee_number: "E-1002", first_name: "Håkon", last_name: "Størmer", email: "hakon.stormer@fjordvik.example", job_title: "Selger", department: "Salg", address: addr.bergen, is_active: true },
    { id: "3", employee_number: "E-1003", first_name: "Mei", last_name: "Tanaka", email: "mei.tanaka@fjordvik.example", department: "Lager", is_active: false },
    { id: "4", employee_number: "E-1004", first_name: "Olamide", last_name: "Adébáyọ̀", email: "olamide.adebayo@fjordvik.example", phone: "+47 400 00 004", department: "Økonomi", address: addr.oslo, is_active: true },
  ];
  employees.forEach((e) => rec("employees", e, "02-20"));

  const products = [
    { id: "1", sku: "SUPPORT-HOUR", name: "Support hour", description: "Remote support, billed per started hour.", unit: "hour", kind: "service", price: "1250.00", currency: "NOK", vat_rate: "25", is_active: true },
    { id: "2", sku: "onboarding-kit", name: "Onboarding Kit", description: "One-time onboarding hardware kit, shipped to the customer.", unit: "pcs", kind: "goods", price: "49.00", currency: "USD", vat_rate: "0", is_active: true },
    { id: "3", sku: "PRO", name: "Fjordvik Pro", description: "Subscription with priority support.", unit: "user", kind: "subscription", price: "499.00", currency: "NOK", billing_period_unit: "month", billing_period: 1, vat_rate: "25", is_active: true },
    { id: "4", sku: "TEA-SENCHA-1KG", name: "Sencha tea 1 kg (煎茶)", unit: "pcs", kind: "goods", price: "4800", currency: "JPY", vat_rate: "8", is_active: true },
    { id: "5", sku: "WIDGET-EU", name: "Widget Ø40", description: "Stainless widget, 40 mm.", unit: "pcs", kind: "goods", price: "19.90", currency: "EUR", vat_rate: "19", is_active: true },
    { id: "6", sku: "CONSULT-DAY", name: "consulting day", unit: "day", kind: "service", price: "1100.00", currency: "EUR", vat_rate: "19", is_active: true },
    { id: "7", sku: "LEGACY-WIDGET", name: "Legacy widget", unit: "pcs", kind: "goods", price: "9.00", currency: "EUR", vat_rate: "19", is_active: false },
  ];
  products.forEach((p) => rec("products", p, "01-20"));

  const line = (/** @type {string} */ id, /** @type {string} */ product, /** @type {string} */ sku, /** @type {string} */ description, /** @type {number} */ quantity, /** @type {string} */ unit_price, /** @type {string} */ vat_rate) =>
    ({ id, product_id: product, sku, description, quantity, unit_price, discount_percent: "0", vat_rate });
  rec("quotes", { id: "1", number: "Q-2026-0041", customer_id: "1", contact_id: "1", status: "accepted", currency: "NOK", quote_date: "2026-02-24", valid_until: "2026-03-24",
    lines: [line("1", "1", "SUPPORT-HOUR", "Support hour", 10, "1250.00", "25")], delivery_address: addr.oslo, note: "Hastebestilling – levering før påske.",
    reference: "PO-7781", total_net: "12500.00", total_vat: "3125.00", total: "15625.00" }, "02-25");
  rec("quotes", { id: "2", number: "Q-2026-0042", customer_id: "2", contact_id: "2", status: "sent", currency: "EUR", quote_date: "2026-02-26", valid_until: "2026-03-26",
    lines: [line("1", "5", "WIDGET-EU", "Widget Ø40", 4, "19.90", "19")], delivery_address: addr.koeln, total_net: "79.60", total_vat: "15.12", total: "94.72" }, "02-26");
  rec("quotes", { id: "3", number: "Q-2026-0043", customer_id: "4", contact_id: "4", status: "draft", currency: "GBP", quote_date: "2026-02-27", valid_until: "2026-03-27",
    lines: [], total_net: "0", total_vat: "0", total: "0" }, "02-27");
  // Ola Nordmann shares the accounts mailbox with a colleague: until a person settles which contact is
  // which Chargebee customer, this quote waits for its contact.
  rec("quotes", { id: "4", number: "Q-2026-0044", customer_id: "1", contact_id: "8", status: "accepted", currency: "NOK", quote_date: "2026-02-28", valid_until: "2026-03-28",
    lines: [line("1", "1", "SUPPORT-HOUR", "Support hour", 2, "1250.00", "25")], total_net: "2500.00", total_vat: "625.00", total: "3125.00" }, "02-28");

  rec("orders", { id: "1", number: "SO-2026-0107", quote_id: "1", customer_id: "1", contact_id: "1", status: "confirmed", currency: "NOK", order_date: "2026-02-25",
    delivery_date: "2026-03-02", lines: [{ ...line("1", "1", "SUPPORT-HOUR", "Support hour", 10, "1250.00", "25"), status: "queued" }], delivery_address: addr.oslo,
    reference: "PO-7781", total_net: "12500.00", total_vat: "3125.00", total: "15625.00" }, "02-25");
  rec("orders", { id: "2", number: "SO-2026-0108", customer_id: "3", contact_id: "3", status: "shipped", currency: "JPY", order_date: "2026-02-20", delivery_date: "2026-02-27",
    shipped_at: "2026-02-23T14:05:00+01:00", tracking_number: "JP123456789", tracking_url: "https://tracking.example/JP123456789", carrier: "Yamato",
    lines: [{ ...line("1", "4", "TEA-SENCHA-1KG", "Sencha tea 1 kg (煎茶)", 3, "4800", "8"), status: "shipped" }], delivery_address: addr.kobe,
    total_net: "14400", total_vat: "1152", total: "15552" }, "02-23");
}

/** @param {Site} site */
export function seedChargebee(site) {
  // The site's custom fields (its settings): a customer tier and segment, mapped by the demo (DEMO_OPTIONS).
  site.defineCustomField("customer", "cf_account_tier");
  site.defineCustomField("customer", "cf_segment");
  // Business entities exist only in Chargebee's settings; the site has three, one of them renamed and one removed.
  site.adminSaveBusinessEntity({ id: "AzqK1mUbN2x1Q4Fa", name: "Example Widgets EU" }, unix(at("01-02")));
  site.adminSaveBusinessEntity({ id: "AzqK2nUbN3yLm7Qb", name: "NORDLYS  ENERGI AS" }, unix(at("01-03")));
  site.adminSaveBusinessEntity({ id: "AzqK3pUbN4zRt2Wc", name: "Mu\u0308ller & So\u0308hne GmbH" }, unix(at("01-03", "10:00:00"))); // decomposed umlauts
  site.adminSaveBusinessEntity({ id: "AzqK4qUbN5aXs9Yd", name: "Old Trading Unit" }, unix(at("01-04")));
  site.adminSaveBusinessEntity({ id: "AzqK4qUbN5aXs9Yd", deleted: true }, unix(at("01-04", "12:00:00")));

  const stamp = (/** @type {Record<string, any>} */ r, /** @type {string} */ day) => {
    r.updated_at = unix(at(day));
    r.resource_version = r.updated_at * 1000 + 123;
    return r;
  };
  const put = (/** @type {string} */ table, /** @type {Record<string, any>} */ r, /** @type {string} */ day) => site.put(table, stamp(r, day));
  const customer = (/** @type {Record<string, any>} */ params, /** @type {string} */ day) => {
    const form = params.meta_data ? { ...params, meta_data: JSON.stringify(params.meta_data) } : params;
    const { customer: c } = site.createCustomer(form);
    c.created_at = unix(at("01-10"));
    stamp(c, day);
  };

  customer({ id: "AzZiyeUbT8kq3bN1", first_name: "Alex", last_name: "Sample", email: "alex.sample@example.com", phone: "+1 555 010 0142",
    company: "Example Widgets Ltd", locale: "en", business_entity_id: "AzqK1mUbN2x1Q4Fa", preferred_currency_code: "USD",
    billing_address: { first_name: "Alex", last_name: "Sample", line1: "100 Example Street", line2: "Suite 200", city: "San Francisco", state_code: "CA", state: "California", country: "US", zip: "94107" },
    meta_data: { crm_account_id: "ACCT-0042", segment: "smb" }, cf_account_tier: "gold" }, "02-01");
  /** @type {any} */ (site.tables.customer.get("AzZiyeUbT8kq3bN1")).data.payment_method = { object: "payment_method", type: "card", reference_id: "tok_AzZiyeUbT8mQsbN6", gateway: "chargebee", gateway_account_id: "gw_AzqK0aUbMzT1g3Db", status: "valid" };
  customer({ id: "AzZj1fUbT9Ab4cN2", first_name: "Jürgen", last_name: "Müller", email: "Juergen.Mueller@Mueller-Soehne.EXAMPLE", phone: "+49 221 987654",
    company: "Müller & Söhne GmbH", locale: "de", preferred_currency_code: "EUR",
    billing_address: { line1: "Hohe Straße 52", zip: "50667", city: "Köln", state: "Nordrhein-Westfalen", country: "DE" } }, "02-05");
  customer({ id: "AzZj2gUbTA1c5dN3", first_name: "François", last_name: "Lefèvre", email: "francois.lefevre@cafe-ole.example", company: "Café Olé SARL",
    locale: "fr", preferred_currency_code: "EUR", billing_address: { line1: "12 Rue de la République", zip: "69002", city: "Lyon", country: "FR" } }, "02-06");
  customer({ id: "AzZj3hUbTB2d6eN4", first_name: "Håkon", last_name: "Størmer", email: "hakon.stormer@fjordvik.example", preferred_currency_code: "NOK" }, "02-07");
  customer({ id: "AzZj4iUbTC3e7fN5", first_name: "Ingrid", last_name: "Bergström", email: "ingrid.bergstrom@kontor.example", phone: "+46 8 123 456 78",
    company: "Bergström Kontor AB", locale: "sv-SE", preferred_currency_code: "SEK",
    billing_address: { line1: "Drottninggatan 1", zip: "111 51", city: "Stockholm", country: "SE" } }, "02-08");
  customer({ id: "AzZj5jUbTD4f8gN6", first_name: "花子", last_name: "佐藤", email: "hanako.sato@kobe-trading.example", company: "株式会社 神戸トレーディング",
    locale: "ja-JP", preferred_currency_code: "JPY", billing_address: { line1: "中央区港島中町 6-1", zip: "650-0046", city: "神戸市", state: "兵庫県", country: "JP" } }, "02-09");
  customer({ id: "AzZj6kUbTE5g9hN7", first_name: "Nordlys", last_name: "Regnskap", email: "POST@nordlys.example", company: "Nordlys Energi AS", preferred_currency_code: "NOK" }, "02-09");
  customer({ id: "AzZj7lUbTF6h0iN8", first_name: "Pål", last_name: "Eriksen", email: "pal.eriksen@fjordvik.example", company: DEMO_OWN_COMPANY,
    preferred_currency_code: "NOK", meta_data: { customerp: { type: "employee", employee_number: "E-0990" } } }, "02-09");
  customer({ id: "AzZj8mUbTG7i1jN9", first_name: "Gone", last_name: "Customer", email: "gone@example.com" }, "01-15");
  site.deleteCustomer("AzZj8mUbTG7i1jN9", {});
  stamp(/** @type {any} */ (site.tables.customer.get("AzZj8mUbTG7i1jN9")).data, "01-16");

  // Catalog: one family; two items the ERP also has (same sku; same name), one only Chargebee has.
  put("item_family", { id: DEMO_ITEM_FAMILY, name: "Customerp products", status: "active", channel: "web", object: "item_family", deleted: false }, "01-02");
  put("item_family", { id: "example-widgets", name: "Example Widgets", status: "active", channel: "web", object: "item_family", deleted: false }, "01-02");
  const item = (/** @type {Record<string, any>} */ r, /** @type {string} */ day) => put("item", {
    status: "active", resource_version: 0, updated_at: 0, type: "charge", is_shippable: false, is_giftable: false,
    enabled_for_checkout: true, enabled_in_portal: true, metered: false, channel: "web", metadata: {}, ...r, object: "item", deleted: false }, day);
  const price = (/** @type {Record<string, any>} */ r, /** @type {string} */ day) => put("item_price", {
    status: "active", pricing_model: "flat_fee", channel: "web", created_at: unix(at("01-03")), is_taxable: true, item_type: "charge",
    show_description_in_invoices: false, show_description_in_quotes: false, ...r, object: "item_price", deleted: false }, day);
  item({ id: "onboarding-kit", name: "Onboarding Kit", external_name: "Onboarding Kit", description: "One-time onboarding hardware kit, shipped to the customer.", item_family_id: "example-widgets", is_shippable: true }, "01-31");
  price({ id: "onboarding-kit-USD", name: "Onboarding Kit USD", item_family_id: "example-widgets", item_id: "onboarding-kit", external_name: "Onboarding Kit", price: 4900, currency_code: "USD" }, "01-31");
  item({ id: "consulting-day-std", name: "Consulting Day", external_name: "Consulting day", unit: "day", item_family_id: DEMO_ITEM_FAMILY }, "01-25");
  price({ id: "consulting-day-std-EUR", name: "Consulting Day EUR", item_family_id: DEMO_ITEM_FAMILY, item_id: "consulting-day-std", price: 110000, currency_code: "EUR" }, "01-25");
  item({ id: "gift-card", name: "Gift card", external_name: "Fjordvik gift card", description: "A printed gift card.", unit: "pcs", item_family_id: DEMO_ITEM_FAMILY, is_shippable: true }, "01-26");
  price({ id: "gift-card-GBP", name: "Gift card GBP", item_family_id: DEMO_ITEM_FAMILY, item_id: "gift-card", price: 2500, currency_code: "GBP" }, "01-26");
  price({ id: "gift-card-JPY", name: "Gift card JPY", item_family_id: DEMO_ITEM_FAMILY, item_id: "gift-card", price: 4500, currency_code: "JPY" }, "01-26");

  // An order Chargebee made from a paid invoice: the ERP does not know it yet.
  site.counters.invoice = 1041;
  site.counters.order = 1186;
  const ship = { first_name: "Alex", last_name: "Sample", line1: "100 Example Street", line2: "Suite 200", city: "San Francisco", state_code: "CA", state: "California", country: "US", zip: "94107" };
  const { invoice } = createInvoiceForChargeItems(site, { customer_id: "AzZiyeUbT8kq3bN1", currency_code: "USD",
    item_prices: [{ item_price_id: "onboarding-kit-USD", quantity: "1" }], charges: [{ amount: "1500", description: "Expedited handling" }], shipping_address: ship });
  stamp(invoice, "02-14");
  const { order } = createOrder(site, { invoice_id: invoice.id });
  Object.assign(order, { status: "queued", order_type: "system_generated", created_by: "Auto generated by system", order_date: unix(at("02-14")), shipping_date: unix(at("02-14")), created_at: unix(at("02-14")) });
  stamp(order, "02-14");
}
