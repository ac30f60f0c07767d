// Type-checked only (`tsc --noEmit`), never run: a small use of every exported function, written against
// the package's generated .d.ts in strict mode. With tsconfig.json it checks the Node `import` types
// (pkg/index.d.mts); with tsconfig.bundler.json the same code checks the bundler/browser types.
import {
  dataflowDocument,
  encodeForm,
  flows,
  match,
  Matcher,
  plan,
  planBatch,
  planUndo,
  SyncError,
  toChargebee,
  toCustomerp,
} from "customerp-chargebee";
import type {
  BatchResult,
  ChargebeeRequest,
  ChargebeeResource,
  CustomerpRecord,
  FlowId,
  FlowInfo,
  Mapping,
  MatchResult,
  Options,
  Plan,
  PlanChange,
  PlanInput,
  Side,
  SyncErrorCode,
  UndoInput,
  UndoPlan,
  UndoSkipped,
  ChargebeeCustomer,
  ChargebeeOrder,
  ChargebeeItemWithPrices,
  CustomerpContact,
  CustomerpFields,
  CustomerpOrder,
  CustomerpProduct,
} from "customerp-chargebee";

// --- no `any` anywhere in the API's signatures --------------------------------------------------
type IsAny<T> = 0 extends 1 & T ? true : false;
type NoAny<F> = F extends (...args: infer P) => infer R
  ? true extends IsAny<R> | { [K in keyof P]: IsAny<P[K]> }[number]
    ? false
    : true
  : false;
type Assert<T extends true> = T;
export type SignaturesHaveNoAny = [
  Assert<NoAny<typeof flows>>,
  Assert<NoAny<typeof toChargebee>>,
  Assert<NoAny<typeof toCustomerp>>,
  Assert<NoAny<typeof match>>,
  Assert<NoAny<typeof plan>>,
  Assert<NoAny<typeof planBatch>>,
  Assert<NoAny<typeof encodeForm>>,
  Assert<NoAny<typeof dataflowDocument>>,
];

// --- flows ---------------------------------------------------------------------------------------
const infos: FlowInfo[] = flows();
const ids: FlowId[] = infos.map((f) => f.id);
const directions: ("both" | "to-chargebee" | "to-customerp")[] = infos.flatMap((f) => f.properties.map((p) => p.direction));
const criteria: string[] = infos.flatMap((f) => f.mergeCriteria);

// --- mapping -------------------------------------------------------------------------------------
const options: Options = {
  conflicts: "newest",
  propertyWinners: { email: "customerp", "address.city": "chargebee" },
  deletes: "safe",
  timeZone: "Europe/Berlin",
  itemFamilyId: "hardware",
  ownCompanyName: "Acme GmbH",
  idPrefix: "cp",
  readOnly: ["chargebee"],
  createdAfter: "2024-01-01T00:00:00Z",
};
const contact: CustomerpRecord = { id: "17", first_name: "Ada", email: "ada@example.com", address: { city: "London" } };
const customer: ChargebeeResource = toChargebee("contact-customer", contact, options);
const roundTrip: CustomerpRecord = toCustomerp("contact-customer", customer);
const fields: CustomerpFields<"contact-customer"> = toCustomerp("contact-customer", { id: "cp-contact-17", email: "ada@example.com" });

// --- matching ------------------------------------------------------------------------------------
const matched: MatchResult = match("contact-customer", [contact], [customer], { idPrefix: "cp" });
const pairs: [string, string, string][] = matched.links.map((l) => [l.customerp, l.chargebee, l.by]);
const unsure: string[] = matched.ambiguous.flatMap((a) => [...a.customerp, ...a.chargebee]);
// Page by page: the same result, each page's refused records as SyncErrors.
const matcher = new Matcher("contact-customer", { idPrefix: "cp" });
const pageErrors: SyncError[] = [...matcher.addCustomerp([contact]), ...matcher.addChargebee([{ id: "cp-contact-17", email: "ada@example.com" }])];
const paths: string[] = pageErrors.map((e) => e.path);
const streamed: MatchResult = matcher.finish();
matcher.free();
const orderMatcher: Matcher<"order-order"> = new Matcher("order-order");
orderMatcher.addCustomerp([{ id: 107, number: "SO-2026-0107" }]);
orderMatcher.addChargebee([{ id: "o1", reference_id: "SO-2026-0107" }]);
export type MatcherHasNoAny = [
  Assert<NoAny<Matcher["addCustomerp"]>>,
  Assert<NoAny<Matcher["addChargebee"]>>,
  Assert<NoAny<Matcher["finish"]>>,
];

// --- planning ------------------------------------------------------------------------------------
const input: PlanInput = {
  customerp: contact,
  chargebee: null,
  base: null,
  links: { "customer-business_entity": { "5": "acme-uk" } },
};
const p: Plan = plan("contact-customer", input);
const link: string | null = p.link.chargebee ?? p.link.customerp;
const cpAction: "none" | "create" | "update" | "delete" = p.customerp.action;
const cbAction: "none" | "create" | "update" | "delete" | "manual" = p.chargebee.action;
const requests: ChargebeeRequest[] = p.chargebee.requests;
const bodies: string[] = requests.map((r) => encodeForm(r.params));
const methods: ("POST" | "GET")[] = requests.map((r) => r.method);
const keys: string[] = requests.map((r) => r.idempotencyKey);
const winners: Side[] = p.conflicts.map((c) => c.winner);
const warnings: string[] = p.warnings.map((w) => `${w.code} ${w.property ?? ""} ${w.message}`);
const waiting: FlowId[] = p.waitingFor.map((w) => w.flow);
const next: PlanInput = { ...input, base: p.base };
// Option `changes`: what the plan writes, per side, for a journal.
const journal: PlanChange[] = plan("contact-customer", input, { changes: true }).changes ?? [];
const journalRows: [Side, string, string, string | null, string][] = journal.map((c) =>
  [c.side, c.property, c.chargebee, c.line?.customerp ?? null, c.reason]);
const journalValues: unknown[] = journal.flatMap((c) => [c.from, c.to]);
// Undo: the journal's changes put back, or a created record released.
const undoInput: UndoInput = {
  properties: journal.map((c) => ({ side: c.side, property: c.property, chargebee: c.chargebee, ...(c.line ? { line: c.line } : {}), before: c.from, after: c.to })),
};
const undone: UndoPlan = planUndo("contact-customer", next, undoInput, { changes: true });
const notPutBack: UndoSkipped[] = undone.skipped;
const skippedValues: unknown[] = notPutBack.flatMap((k) => [k.side, k.property, k.chargebee, k.line?.chargebee, k.wrote, k.now]);
const undoBase = undone.base;
const released: Plan = planUndo("contact-customer", next, { release: "chargebee" });
const orderUndo: UndoPlan<"order-order"> = planUndo("order-order", { customerp: null, chargebee: null, base: null },
  { properties: [{ side: "customerp", property: "lines.status", line: { customerp: "L1", chargebee: "o_li_1" }, before: "queued", after: "shipped" }] });
export type UndoHasNoAny = [Assert<NoAny<typeof planUndo>>];

const results: BatchResult[] = planBatch("contact-customer", [input, next], options);
for (const r of results) {
  if (r.ok) {
    const planned: Plan = r.plan;
    void planned;
  } else {
    const error: SyncError = r.error;
    const code: SyncErrorCode = error.code;
    const where: string | undefined = error.path;
    void code, where;
  }
}

// --- documents and errors --------------------------------------------------------------------------
const rst: string = dataflowDocument("rst");
const markdown: string = dataflowDocument("markdown");
const defaultDoc: string = dataflowDocument();
const mappings: Mapping[] = [
  { customerp: "vat_id", chargebee: "vat_number", type: "string", maxLength: 20 },
  { customerp: "segment", chargebee: "cf_segment", type: "enum", values: ["smb", "enterprise"], direction: "to-chargebee" },
];
const mappedDoc: string = dataflowDocument("markdown", { mappings: { "contact-customer": mappings } });
const mappedFlows: FlowInfo[] = flows({ mappings: { "contact-customer": mappings } });
const isMapped: (true | undefined)[] = mappedFlows.flatMap((f) => f.properties.map((p) => p.mapped));
try {
  toChargebee("product-item", { id: "3" });
} catch (e) {
  if (e instanceof SyncError) {
    const known: "unknown_flow" | "invalid_options" | "invalid_type" | "missing_field" | "invalid_value"
      | "too_long" | "unsupported" | "invalid_base" = e.code;
    const isError: Error = e;
    const name: "SyncError" = e.name;
    const where: string = e.path;
    const flow: string | undefined = e.flow;
    void known, isError, name, where, flow, e.recordId;
  }
}
const made: SyncError = new SyncError("invalid_value", "/customerp/email: not an e-mail address", "/customerp/email");
void made;

// --- each flow's record types ------------------------------------------------------------------------
const order: CustomerpOrder = {
  id: 107, number: "SO-2026-0107", customer_id: "5", contact_id: 17, status: "shipped", currency: "EUR",
  order_date: "2026-03-01", shipped_at: "2026-03-02T10:15:00+01:00", carrier: "DHL",
  lines: [{ id: 1, product_id: "3", sku: "ÆØÅ-1", quantity: "2", unit_price: "1499.50", status: "shipped" }],
  delivery_address: { street_1: "Karl Johans gate 1", city: "Oslo", country: "NO" },
  total: 2999, deleted: false,
};
const cbOrder: ChargebeeOrder = toChargebee("order-order", order);
const orderPlan: Plan<"order-order"> = plan("order-order", { customerp: order, chargebee: cbOrder, base: null });
const changedLines: CustomerpOrder["lines"] | undefined = orderPlan.customerp.changes?.lines;
const product: CustomerpProduct = { id: "3", sku: "W-1", name: "Widget", kind: "subscription", price: 12.5, currency: "EUR",
  billing_period_unit: "month", billing_period: 1, vat_rate: "25", is_active: true };
const item: ChargebeeItemWithPrices = toChargebee("product-item", product, { itemFamilyId: "hardware" });
const itemPrices: number[] = (item.item_prices ?? []).flatMap((p) => ("item_price" in p ? [] : [p.price ?? 0]));
const linkedItem: ChargebeeItemWithPrices = { id: "W-1", name: "Widget", type: "plan", status: "active", updated_at: 1767225600,
  cf_colour: "blå", item_prices: [{ item_price: { id: "W-1-EUR", item_id: "W-1", price: 1250, currency_code: "EUR" } }] };
const ada: CustomerpContact = { id: "17", first_name: "Ada", email: "ada@example.com", customer_id: 5, is_active: true };
const adaCustomer: ChargebeeCustomer = { id: "cp-contact-17", email: "ada@example.com", cf_segment: "smb",
  billing_address: { line1: "12 St James's Square", country: "GB" }, meta_data: { customerp: { type: "contact", id: "17" } } };
const matchedContacts: MatchResult = match("contact-customer", [ada], [adaCustomer]);
plan("customer-business_entity", { customerp: { id: 5, name: "Acme AS", payment_terms_days: 30, is_active: true },
  chargebee: { id: "acme", name: "Acme AS", status: "active" }, base: null });
plan("employee-customer", { customerp: { id: "E7", employee_number: "7", department: "Sales", is_active: false }, chargebee: null, base: null });
plan("quote-order", { customerp: { id: "42", number: "Q-2026-0042", status: "accepted", quote_date: "2026-03-01",
  lines: [{ sku: "W-1", quantity: 1, unit_price: "12.50" }] }, chargebee: null, base: null });
planBatch("product-item", [{ customerp: product, chargebee: linkedItem, base: null }]);
// Fields a mapping adds (Options.mappings), by the second type parameter.
type MappedContact = CustomerpRecord<"contact-customer", { vat_id?: string; crm?: { account?: string } }>;
const mapped: MappedContact = { id: "18", email: "grace@example.com", vat_id: "NO123456789MVA", crm: { account: "A-1" } };
toChargebee("contact-customer", mapped, { mappings: { "contact-customer": [
  { customerp: "vat_id", chargebee: "vat_number", type: "string" },
  { customerp: "crm.account", chargebee: "meta_data.crm_account", type: "string" },
] } });
const mappedCustomer: ChargebeeResource<"contact-customer", { net_term_days?: number }> = { id: "c1", net_term_days: 30 };
void changedLines, itemPrices, matchedContacts, mappedCustomer;

// --- what must not type-check ------------------------------------------------------------------------
// @ts-expect-error an unknown flow id
toChargebee("contact", contact);
// @ts-expect-error an unknown document format
dataflowDocument("html");
// @ts-expect-error a misspelt option
plan("contact-customer", input, { conflict: "newest" });
// @ts-expect-error a misspelt UndoInput key
planUndo("contact-customer", next, { relase: "chargebee" });
// @ts-expect-error a misspelt key of a property to put back
planUndo("contact-customer", next, { properties: [{ side: "chargebee", property: "email", befor: null, after: "a@example.com" }] });
// @ts-expect-error release names one side
planUndo("contact-customer", next, { release: "both" });
// @ts-expect-error a property to put back names its side
planUndo("contact-customer", next, { properties: [{ property: "email", before: null, after: "a@example.com" }] });
// @ts-expect-error changes is a boolean
plan("contact-customer", input, { changes: "yes" });
// @ts-expect-error an unknown conflict rule
plan("contact-customer", input, { conflicts: "oldest" });
// @ts-expect-error PlanInput needs base
plan("contact-customer", { customerp: contact, chargebee: null });
// @ts-expect-error a mapping type Chargebee does not have
plan("contact-customer", input, { mappings: { "contact-customer": [{ customerp: "vat_id", chargebee: "vat_number", type: "text" }] } });
// @ts-expect-error a mapping direction that does not exist
plan("contact-customer", input, { mappings: { "contact-customer": [{ customerp: "vat_id", chargebee: "vat_number", type: "string", direction: "up" }] } });
// @ts-expect-error mappings of an unknown flow
plan("contact-customer", input, { mappings: { contact: [] } });
// @ts-expect-error match takes arrays
match("contact-customer", contact, customer);
// @ts-expect-error a Matcher takes pages (arrays) of records
matcher.addCustomerp(contact);
// @ts-expect-error a contact-customer Matcher takes no quote
new Matcher("contact-customer").addCustomerp([{ id: "42", quote_date: "2026-03-01" }]);
// @ts-expect-error an unknown flow id
new Matcher("contact");

// A misspelt field or a wrong value type, per flow (a record literal is checked against its flow's type).
// @ts-expect-error contact: "emial"
toChargebee("contact-customer", { id: "17", emial: "ada@example.com" });
// @ts-expect-error contact: an e-mail is a string
plan("contact-customer", { customerp: { id: "17", email: 42 }, chargebee: null, base: null });
// @ts-expect-error contact: a product's field is not a contact's
toChargebee("contact-customer", { id: "17", sku: "W-1" });
// @ts-expect-error customer: "payment_term_days"
toChargebee("customer-business_entity", { id: 5, payment_term_days: 30 });
// @ts-expect-error customer: payment_terms_days is an integer, not text
plan("customer-business_entity", { customerp: { id: 5, payment_terms_days: "thirty" }, chargebee: null, base: null });
// @ts-expect-error business entity: a status Chargebee does not have
toCustomerp("customer-business_entity", { id: "acme", status: "archived" });
// @ts-expect-error employee: "employe_number"
toChargebee("employee-customer", { id: "E7", employe_number: "7" });
// @ts-expect-error employee: is_active is a boolean
plan("employee-customer", { customerp: { id: "E7", is_active: "no" }, chargebee: null, base: null });
// @ts-expect-error quote: a status quotes do not have
toChargebee("quote-order", { id: "42", status: "shipped" });
// @ts-expect-error quote: "quantiy" on a line
toChargebee("quote-order", { id: "42", lines: [{ sku: "W-1", quantiy: 1 }] });
// @ts-expect-error order: "tracking_numbr"
planBatch("order-order", [{ customerp: { id: 107, tracking_numbr: "1Z" }, chargebee: null, base: null }]);
// @ts-expect-error order: a line status Chargebee does not have
toChargebee("order-order", { id: 107, lines: [{ sku: "W-1", status: "lost" }] });
// @ts-expect-error order: delivery_address is an address, not text
toChargebee("order-order", { id: 107, delivery_address: "Karl Johans gate 1" });
// @ts-expect-error product: a kind that does not exist
toChargebee("product-item", { id: "3", kind: "hardware" });
// @ts-expect-error product: "prise"
plan("product-item", { customerp: { id: "3", prise: "12.50" }, chargebee: null, base: null });
// @ts-expect-error Chargebee customer: "emial"
toCustomerp("contact-customer", { id: "cp-contact-17", emial: "ada@example.com" });
// @ts-expect-error Chargebee order: order_date is Unix seconds, not a date string
toCustomerp("order-order", { id: "o1", order_date: "2026-03-01" });
// @ts-expect-error Chargebee item price: price in minor units is a number
toCustomerp("product-item", { id: "W-1", item_prices: [{ id: "W-1-EUR", price: "12.50" }] });
// @ts-expect-error match: a Chargebee customer's field in a contact
match("contact-customer", [{ id: "17", locale: "nb-NO" }], []);
// @ts-expect-error a mapped record type still refuses a misspelt model field
const mappedTypo: MappedContact = { id: "18", vat_id: "NO1", frist_name: "Grace" };
// @ts-expect-error a plan's flow is its own
const wrongFlow: Plan<"order-order"> = plan("quote-order", { customerp: null, chargebee: null, base: null });
// @ts-expect-error a thrown value is not a SyncError until checked
const unchecked: SyncError = (() => { try { return null; } catch (e) { return e; } })();

export const used = [skippedValues, undoBase, released, orderUndo, journalRows, journalValues, paths, streamed, mappedTypo, wrongFlow, unchecked, fields, ids, directions, criteria, roundTrip, pairs, unsure, link, cpAction, cbAction, bodies, methods, keys,
  winners, warnings, waiting, rst, markdown, defaultDoc, mappedDoc, isMapped];
