// TypeScript types of the customerp-chargebee JS API (see shared/spec/api.md).
// This file is embedded verbatim into the wasm-bindgen generated .d.ts
// (`#[wasm_bindgen(typescript_custom_section)]` + include_str!), so it must only
// contain top-level `export` declarations that are valid inside an ES module
// declaration file, and it must not import anything.

/** The six flows the library syncs. */
export type FlowId =
  | "contact-customer"
  | "customer-business_entity"
  | "employee-customer"
  | "quote-order"
  | "order-order"
  | "product-item";

/** One of the two synced systems. */
export type Side = "customerp" | "chargebee";

// --- Customerp records (shared/spec/customerp-model.md) ------------------------------------------
// Every field is optional in the type, and `null` is the same as absent. A connector's record may hold
// fields outside the model (mapped by `Options.mappings`): widen the record type with the second
// parameter of `CustomerpRecord`, e.g. `CustomerpRecord<"contact-customer", { vat_id?: string }>`,
// rather than an index signature, so a misspelt model field still fails to compile.

/** RFC 3339 date-time with offset, e.g. "2026-03-01T10:15:00+01:00". */
export type CustomerpDateTime = string;
/** A calendar date, "YYYY-MM-DD". */
export type CustomerpDate = string;
/** An exact decimal as a JSON string ("1499.50") or number; money in major units of the record's currency. */
export type CustomerpDecimal = string | number;
/** Customerp's id of a record (a number is read as its decimal string). */
export type CustomerpId = string | number;

/** The fields every Customerp record type has. */
export interface CustomerpRecordFields {
  /**
   * Required in every record given to the package (a record without one is a SyncError
   * `missing_field`); optional in the type so that a record held as `Record<string, unknown>` passes.
   */
  id?: CustomerpId;
  created?: CustomerpDateTime | null;
  /** Changes on every edit. */
  updated?: CustomerpDateTime | null;
  /** Soft delete (tombstone); default false. */
  deleted?: boolean | null;
}

/** `address` and `delivery_address`. */
export interface CustomerpAddress {
  street_1?: string | null;
  street_2?: string | null;
  street_3?: string | null;
  postal_code?: string | null;
  city?: string | null;
  region?: string | null;
  /** ISO 3166-1 alpha-2, upper case. */
  country?: string | null;
}

/** A person at a customer company (contact-customer). */
export interface CustomerpContact extends CustomerpRecordFields {
  first_name?: string | null;
  last_name?: string | null;
  email?: string | null;
  phone?: string | null;
  mobile?: string | null;
  job_title?: string | null;
  /** BCP 47, e.g. "nb-NO". */
  language?: string | null;
  /** The Customerp customer the person works for. */
  customer_id?: CustomerpId | null;
  /** Read-only copy of that customer's name. */
  customer_name?: string | null;
  address?: CustomerpAddress | null;
  is_active?: boolean | null;
}

/** An organisation that buys (customer-business_entity). */
export interface CustomerpCustomer extends CustomerpRecordFields {
  name?: string | null;
  organization_number?: string | null;
  vat_number?: string | null;
  email?: string | null;
  phone?: string | null;
  website?: string | null;
  /** ISO 4217, upper case. */
  currency?: string | null;
  payment_terms_days?: number | null;
  is_active?: boolean | null;
  address?: CustomerpAddress | null;
}

/** A person employed by the ERP's own company (employee-customer). */
export interface CustomerpEmployee extends CustomerpRecordFields {
  employee_number?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  email?: string | null;
  phone?: string | null;
  job_title?: string | null;
  department?: string | null;
  address?: CustomerpAddress | null;
  /** False once employment ended. */
  is_active?: boolean | null;
}

/** A product (product-item). */
export interface CustomerpProduct extends CustomerpRecordFields {
  /** Unique product number; the Chargebee item id. */
  sku?: string | null;
  name?: string | null;
  description?: string | null;
  /** E.g. "pcs", "hour". */
  unit?: string | null;
  kind?: "goods" | "service" | "subscription" | null;
  price?: CustomerpDecimal | null;
  currency?: string | null;
  /** Subscriptions only. */
  billing_period_unit?: "day" | "week" | "month" | "year" | null;
  /** Integer ≥ 1, default 1. */
  billing_period?: number | null;
  /** Decimal percent. */
  vat_rate?: CustomerpDecimal | null;
  is_active?: boolean | null;
}

/** A line of a quote. */
export interface CustomerpQuoteLine {
  id?: CustomerpId | null;
  product_id?: CustomerpId | null;
  sku?: string | null;
  description?: string | null;
  /** Decimal ≥ 0. */
  quantity?: CustomerpDecimal | null;
  unit_price?: CustomerpDecimal | null;
  discount_percent?: CustomerpDecimal | null;
  vat_rate?: CustomerpDecimal | null;
}

/** A line of an order: a quote's line with the Chargebee line status. */
export interface CustomerpOrderLine extends CustomerpQuoteLine {
  status?: ChargebeeOrderLineStatus | null;
}

/** What a quote and an order share. */
export interface CustomerpSalesDocument extends CustomerpRecordFields {
  /** E.g. "Q-2026-0042", "SO-2026-0107". */
  number?: string | null;
  customer_id?: CustomerpId | null;
  contact_id?: CustomerpId | null;
  currency?: string | null;
  delivery_address?: CustomerpAddress | null;
  note?: string | null;
  reference?: string | null;
  total_net?: CustomerpDecimal | null;
  total_vat?: CustomerpDecimal | null;
  total?: CustomerpDecimal | null;
}

/** A quote (quote-order). */
export interface CustomerpQuote extends CustomerpSalesDocument {
  status?: "draft" | "sent" | "accepted" | "declined" | "expired" | null;
  quote_date?: CustomerpDate | null;
  valid_until?: CustomerpDate | null;
  lines?: CustomerpQuoteLine[] | null;
}

/** A sales order (order-order). */
export interface CustomerpOrder extends CustomerpSalesDocument {
  /** The quote it was made from, if any. */
  quote_id?: CustomerpId | null;
  status?:
    | "draft" | "confirmed" | "on_hold" | "awaiting_shipment" | "shipped" | "partially_delivered" | "delivered"
    | "returned" | "cancelled" | null;
  order_date?: CustomerpDate | null;
  delivery_date?: CustomerpDate | null;
  shipped_at?: CustomerpDateTime | null;
  delivered_at?: CustomerpDateTime | null;
  cancelled_at?: CustomerpDateTime | null;
  cancellation_reason?: string | null;
  tracking_number?: string | null;
  tracking_url?: string | null;
  carrier?: string | null;
  lines?: CustomerpOrderLine[] | null;
}

// --- Chargebee resources (shared/spec/chargebee-api.md), as the API returns them, unwrapped -------
// The attributes the flows read and write, the ones every response carries, and custom fields
// (`cf_<name>`). Widen with the second parameter of `ChargebeeResource` for others.

/** Unix seconds (UTC). */
export type ChargebeeTimestamp = number;

/** The attributes every Chargebee resource the package reads has. */
export interface ChargebeeResourceFields {
  /** Required in every resource given to the package; optional in the type, as `CustomerpRecordFields.id`. */
  id?: string;
  object?: string;
  deleted?: boolean;
  created_at?: ChargebeeTimestamp;
  updated_at?: ChargebeeTimestamp;
  /** Milliseconds. */
  resource_version?: number;
}

/** A customer's `billing_address`, an order's `shipping_address` / `billing_address`. */
export interface ChargebeeAddress {
  first_name?: string;
  last_name?: string;
  email?: string;
  company?: string;
  phone?: string;
  line1?: string;
  line2?: string;
  line3?: string;
  city?: string;
  /** ISO 3166-2 subdivision without the country prefix. */
  state_code?: string;
  state?: string;
  /** ISO 3166-1 alpha-2. */
  country?: string;
  zip?: string;
  validation_status?: "not_validated" | "valid" | "partially_valid" | "invalid";
}

/** JSON metadata (`meta_data` of a customer, `metadata` of an item or item price); the key `customerp` is the plugin's tag. */
export type ChargebeeMetadata = { [key: string]: unknown };

/** A customer (contact-customer, employee-customer). */
export interface ChargebeeCustomer extends ChargebeeResourceFields {
  first_name?: string;
  last_name?: string;
  email?: string;
  phone?: string;
  company?: string;
  locale?: string;
  vat_number?: string;
  vat_number_prefix?: string;
  auto_collection?: "on" | "off";
  net_term_days?: number;
  allow_direct_debit?: boolean;
  taxability?: "taxable" | "exempt" | "zero_rated";
  preferred_currency_code?: string;
  invoice_notes?: string;
  billing_address?: ChargebeeAddress;
  business_entity_id?: string;
  meta_data?: ChargebeeMetadata;
  channel?: "web" | "app_store" | "play_store";
  [customField: `cf_${string}`]: unknown;
}

/** A business entity (customer-business_entity). */
export interface ChargebeeBusinessEntity extends ChargebeeResourceFields {
  name?: string;
  status?: "active" | "inactive";
}

/** The status of an order and of its lines. */
export type ChargebeeOrderLineStatus =
  | "queued" | "awaiting_shipment" | "on_hold" | "delivered" | "shipped" | "partially_delivered" | "returned" | "cancelled";

/** One of an order's `order_line_items`. */
export interface ChargebeeOrderLineItem {
  id?: string;
  invoice_id?: string;
  invoice_line_item_id?: string;
  /** Minor units. */
  unit_price?: number;
  description?: string;
  amount?: number;
  fulfillment_quantity?: number;
  fulfillment_amount?: number;
  tax_amount?: number;
  is_shippable?: boolean;
  sku?: string;
  status?: ChargebeeOrderLineStatus;
  entity_type?: "adhoc" | "plan_item_price" | "addon_item_price" | "charge_item_price";
  /** The item price, `{item id}-{CURRENCY}`; null for an adhoc line. */
  entity_id?: string | null;
  discount_amount?: number;
  item_level_discount_amount?: number;
}

/** An order (quote-order, order-order). */
export interface ChargebeeOrder extends ChargebeeResourceFields {
  document_number?: string;
  invoice_id?: string;
  subscription_id?: string;
  customer_id?: string;
  status?: ChargebeeOrderLineStatus | "new" | "processing" | "complete" | "voided";
  cancellation_reason?: string;
  payment_status?: "not_paid" | "paid";
  order_type?: "manual" | "system_generated";
  price_type?: "tax_exclusive" | "tax_inclusive";
  reference_id?: string;
  fulfillment_status?: string;
  order_date?: ChargebeeTimestamp;
  shipping_date?: ChargebeeTimestamp;
  note?: string;
  tracking_id?: string;
  tracking_url?: string;
  batch_id?: string;
  shipment_carrier?: string;
  paid_on?: ChargebeeTimestamp;
  status_update_at?: ChargebeeTimestamp;
  shipped_at?: ChargebeeTimestamp;
  delivered_at?: ChargebeeTimestamp;
  cancelled_at?: ChargebeeTimestamp;
  currency_code?: string;
  order_line_items?: ChargebeeOrderLineItem[];
  shipping_address?: ChargebeeAddress;
  billing_address?: ChargebeeAddress;
  discount?: number;
  sub_total?: number;
  total?: number;
  tax?: number;
  amount_paid?: number;
  is_resent?: boolean;
  original_order_id?: string;
  business_entity_id?: string;
}

/** An item price (under an item's `item_prices` for product-item). */
export interface ChargebeeItemPrice extends ChargebeeResourceFields {
  name?: string;
  item_id?: string;
  item_family_id?: string;
  item_type?: "plan" | "addon" | "charge";
  description?: string;
  status?: "active" | "archived" | "deleted";
  external_name?: string;
  pricing_model?: "flat_fee" | "per_unit" | "tiered" | "volume" | "stairstep";
  /** Minor units. */
  price?: number;
  price_in_decimal?: string;
  currency_code?: string;
  period?: number;
  period_unit?: "day" | "week" | "month" | "year";
  free_quantity?: number;
  is_taxable?: boolean;
  invoice_notes?: string;
  metadata?: ChargebeeMetadata;
  business_entity_id?: string;
  [customField: `cf_${string}`]: unknown;
}

/** An item. */
export interface ChargebeeItem extends ChargebeeResourceFields {
  name?: string;
  type?: "plan" | "addon" | "charge";
  item_family_id?: string;
  external_name?: string;
  description?: string;
  status?: "active" | "archived" | "deleted";
  is_shippable?: boolean;
  is_giftable?: boolean;
  enabled_for_checkout?: boolean;
  enabled_in_portal?: boolean;
  unit?: string;
  metered?: boolean;
  metadata?: ChargebeeMetadata;
  business_entity_id?: string;
  [customField: `cf_${string}`]: unknown;
}

/** An item with its prices, the shape product-item reads and returns (the list API's `{item_price}` wrappers are accepted). */
export interface ChargebeeItemWithPrices extends ChargebeeItem {
  item_prices?: (ChargebeeItemPrice | { item_price: ChargebeeItemPrice })[];
}

// --- flow id → record types --------------------------------------------------------------------

/** The Customerp record type and the Chargebee resource of each flow. */
export interface FlowRecordTypes {
  "contact-customer": { customerp: CustomerpContact; chargebee: ChargebeeCustomer };
  "customer-business_entity": { customerp: CustomerpCustomer; chargebee: ChargebeeBusinessEntity };
  "employee-customer": { customerp: CustomerpEmployee; chargebee: ChargebeeCustomer };
  "quote-order": { customerp: CustomerpQuote; chargebee: ChargebeeOrder };
  "order-order": { customerp: CustomerpOrder; chargebee: ChargebeeOrder };
  "product-item": { customerp: CustomerpProduct; chargebee: ChargebeeItemWithPrices };
}

/**
 * The Customerp record of flow `F` (of any flow by default), with `Extra`: the fields a mapping adds
 * (`{ vat_id?: string; crm?: { account?: string } }`).
 */
export type CustomerpRecord<F extends FlowId = FlowId, Extra extends object = {}> = F extends FlowId
  ? FlowRecordTypes[F]["customerp"] & Extra
  : never;

/** The Chargebee resource of flow `F` (of any flow by default), with `Extra`: attributes a mapping adds. */
export type ChargebeeResource<F extends FlowId = FlowId, Extra extends object = {}> = F extends FlowId
  ? FlowRecordTypes[F]["chargebee"] & Extra
  : never;

/**
 * Some fields of flow `F`'s Customerp record, as `toCustomerp` returns them and `changes` lists them
 * (fields a mapping adds are there too, typed `unknown`).
 */
export type CustomerpFields<F extends FlowId = FlowId> = F extends FlowId
  ? Partial<FlowRecordTypes[F]["customerp"]> & { [field: string]: unknown }
  : never;

/** Request params in the input shape of Chargebee's official Node SDK (npm `chargebee` v3). */
export type FormParams = Record<string, unknown>;

/** A param value that must be taken from an earlier request's JSON response: request `$result`, dotted `path`. */
export interface ChargebeeResultRef {
  $result: number;
  path: string;
}

/** Format of the generated dataflow document. */
export type DataflowFormat = "rst" | "markdown";

/** Direction in which a mapped property is synced. */
export type PropertyDirection = "both" | "to-chargebee" | "to-customerp";

/** One mapped property of a flow. */
export interface FlowProperty {
  customerp: string;
  chargebee: string;
  chargebeeType: string;
  direction: PropertyDirection;
  /** True for a row added by the `mappings` option. */
  mapped?: true;
}

/** How a mapped value is typed (see pkg/README.md, "Mappings"). */
export type MappingType = "string" | "boolean" | "integer" | "date" | "timestamp" | "money" | "enum";

/**
 * A row the configuration adds to a flow's table. `chargebee` is an attribute Chargebee lets
 * integrations write on the flow's resource (read-only ones with `direction: "to-customerp"`), a
 * custom field `cf_<name>` (customers, items, item prices as `item_price.cf_<name>`), or a key of
 * `meta_data.<key>` (customers) / `metadata.<key>` (items, item prices).
 */
export interface Mapping {
  /** Dotted path on the Customerp record; also the name in conflicts and `propertyWinners`. */
  customerp: string;
  chargebee: string;
  type: MappingType;
  /** For "string": at most this many characters (at most what Chargebee allows). */
  maxLength?: number;
  /** For "enum": the values (for a Chargebee enum, a subset of its values; default all). */
  values?: string[];
  /** Default "both". */
  direction?: PropertyDirection;
}

/** What `flows()` returns for each flow. */
export interface FlowInfo {
  id: FlowId;
  customerp: string;
  chargebee: string;
  properties: FlowProperty[];
  mergeCriteria: string[];
}

/** Links of parent flows: flow → (Customerp id → Chargebee id). */
export type FlowLinks = { [F in FlowId]?: { [customerpId: string]: string } };

/** The input of `plan` for one pair of records of flow `F`. */
export interface PlanInput<F extends FlowId = FlowId> {
  /** Current Customerp record; null = does not exist / is gone. */
  customerp: CustomerpRecord<F> | null;
  /** Current Chargebee resource (unwrapped); null = does not exist / is gone. */
  chargebee: ChargebeeResource<F> | null;
  /** What the last plan returned as `base`; null for a pair never synced. */
  base: PlanBase | null;
  /** Parents' links, for references. */
  links?: FlowLinks;
}

/** Opaque, versioned sync state: store it once both sides are written, pass it back unchanged. */
export type PlanBase = Record<string, unknown>;

/** One HTTP request to Chargebee; execute `requests` in order. */
export interface ChargebeeRequest {
  method: "POST" | "GET";
  /** Path below `/api/v2`, e.g. "/customers/cp-contact-17/update_billing_info". */
  path: string;
  /**
   * The official SDK's input shape; `encodeForm(params)` is the request body.
   * A value `{ "$result": i, "path": "invoice.id" }` (a ChargebeeResultRef) means:
   * take it from request i's JSON response.
   */
  params: FormParams;
  /** Send as the `chargebee-idempotency-key` header. */
  idempotencyKey: string;
}

export type CustomerpAction = "none" | "create" | "update" | "delete";
export type ChargebeeAction = "none" | "create" | "update" | "delete" | "manual";

/** What to do on the Customerp side. */
export interface CustomerpPlan<F extends FlowId = FlowId> {
  action: CustomerpAction;
  id?: string;
  /** Partial record: the changed top-level fields (nested objects and `lines` whole, merged). */
  changes?: CustomerpFields<F>;
  /** The fields as the plan read them (`updated` and the changed ones); write only if they still hold. */
  expect?: { [field: string]: unknown };
  reason?: string;
}

/** What to do on the Chargebee side. */
export interface ChargebeePlan {
  action: ChargebeeAction;
  /** The Chargebee record's id; absent on a create that leaves the record to Chargebee (`orders: "chargebee"`). */
  id?: string;
  requests: ChargebeeRequest[];
  /** The attributes as the plan read them (`updated_at` and the written ones, or `{exists: false}`). */
  expect?: { [attribute: string]: unknown };
  reason?: string;
}

/** A property both sides changed since `base`, and how it was resolved. */
export interface Conflict {
  /** Customerp property path with dots, e.g. "address.city". */
  property: string;
  /** For a line property ("lines.sku"): the line, by its Customerp line id and its Chargebee line id. */
  line?: { customerp: string | null; chargebee: string | null };
  customerp: unknown;
  chargebee: unknown;
  base: unknown;
  winner: Side;
  rule: string;
}

export interface PlanWarning {
  code: string;
  property?: string;
  message: string;
}

/** A parent record that is not linked yet; nothing is written until it is. */
export interface WaitingFor {
  flow: FlowId;
  customerpId: string;
}

/** The result of `plan` for flow `F`. */
export interface Plan<F extends FlowId = FlowId> {
  flow: F;
  link: { customerp: string | null; chargebee: string | null };
  customerp: CustomerpPlan<F>;
  chargebee: ChargebeePlan;
  /** Store this once both sides are written; opaque, versioned. */
  base: PlanBase | null;
  conflicts: Conflict[];
  warnings: PlanWarning[];
  waitingFor: WaitingFor[];
  /** Only with option `changes: true`: every property the plan writes, once per side (and line, for a line property). */
  changes?: PlanChange[];
}

/**
 * One property a plan writes to one side (option `changes`), for a journal: its value on that side before
 * and after the write, in Customerp's canonical form (money as exact decimal strings, dates "YYYY-MM-DD",
 * date-times in the time zone; a row computed from other records, such as a linked parent's Chargebee id,
 * as written). A row Chargebee fills in after a create (`$pending` in the base) is listed by the plan that
 * writes it, not by the create.
 */
export interface PlanChange {
  /** The side the plan writes this property to. */
  side: Side;
  /** Customerp property path, as in `Conflict.property` ("email", "address.city", "lines.status"). */
  property: string;
  /** For a line property: the line, as in `Conflict.line`. */
  line?: { customerp: string | null; chargebee: string | null };
  /**
   * The Chargebee attribute of the row, as in `FlowInfo.properties[].chargebee`. A property that feeds two
   * attributes (a product's name and external_name) written alike is one change, named by its first attribute;
   * written with different values (its kind: type and is_shippable), one change per attribute.
   */
  chargebee: string;
  /** The value on `side` before the write; null when absent or on a create. */
  from: unknown;
  /** The value `side` holds after the write (for Customerp, as the next plan reads the record back). */
  to: unknown;
  /**
   * Why, short and stable: "create", "delete", "changed in customerp", "changed in chargebee",
   * "pending after create", "first sync: a filled value wins over an empty one", "first sync: one-way property",
   * "first sync: <winner> wins (<rule>)", "conflict: <winner> wins (<rule>)", "repair: <rule>",
   * "decided with status", "emptied with status", "as customerp reads it back"; in an undo plan "undo" and "release".
   */
  reason: string;
}

/** A line of a pair, by its Customerp and its Chargebee line id (as `Conflict.line` and `PlanChange.line`). */
export interface LineRef {
  customerp: string | null;
  chargebee: string | null;
}

/** A property a run wrote, to put back (`PlanChange` gives each: `before` is its `from`, `after` its `to`). */
export interface UndoProperty {
  /** The side the run wrote it to. */
  side: Side;
  /** Customerp property path, as in `PlanChange.property`. */
  property: string;
  /**
   * The Chargebee attribute, as in `PlanChange.chargebee`: the property's first attribute puts back its rows on
   * `side` (a name, and the external name that followed it), another one that row alone. Without it, as if the
   * first; entries of one property and side with different values take its rows in order, as `changes` lists them.
   */
  chargebee?: string;
  /** For a line property: which line. */
  line?: LineRef;
  /** The value before the run, in Customerp's form (null: empty). */
  before: unknown;
  /** The value the run wrote, in Customerp's form. */
  after: unknown;
}

/** What `planUndo` puts back. */
export interface UndoInput {
  /**
   * Property values a run wrote, to put back on the side it wrote them: `side`'s `property` goes back to
   * `before` only where it still holds `after`. Needs the pair linked (`input.base`) and both records.
   */
  properties?: UndoProperty[];
  /**
   * The run created this side's record of the pair: release it as a safe delete releases a record (tag,
   * deactivate, cancel, archive per resource; never a hard delete), and end the link. Not with `properties`.
   */
  release?: Side | null;
}

/** A property `planUndo` did not put back: its value on that side changed since the run wrote it. */
export interface UndoSkipped {
  side: Side;
  property: string;
  chargebee: string;
  line?: LineRef;
  /** What the run wrote (`after`), in Customerp's form. */
  wrote: unknown;
  /** What that side holds now, in Customerp's form. */
  now: unknown;
}

/** The result of `planUndo`: a plan like any other, and what it did not put back. */
export interface UndoPlan<F extends FlowId = FlowId> extends Plan<F> {
  skipped: UndoSkipped[];
}

/** Error codes of SyncError. */
export type SyncErrorCode =
  | "unknown_flow"
  | "invalid_options"
  | "invalid_type"
  | "missing_field"
  | "invalid_value"
  | "too_long"
  | "unsupported"
  | "invalid_base";

/**
 * What every function throws, and the `error` of a failed `planBatch` slot: an `Error` whose `name` is
 * "SyncError"; every field is an own enumerable property, so `JSON.stringify` keeps them all.
 * `instanceof SyncError` holds with the class exported by the same entry of the package.
 */
export class SyncError extends Error {
  constructor(code: SyncErrorCode, message: string, path?: string, flow?: string, recordId?: string);
  name: "SyncError";
  code: SyncErrorCode;
  message: string;
  /** The flow, when known. */
  flow?: string | undefined;
  /** The id of the record, when known. */
  recordId?: string | undefined;
  /** A JSON Pointer into the input, e.g. "/customerp/address/country"; "" for the whole input. */
  path: string;
}

/** One slot of `planBatch`: a plan, or the error for that record only. */
export type BatchResult<F extends FlowId = FlowId> = { ok: true; plan: Plan<F> } | { ok: false; error: SyncError };

export interface MatchLink {
  customerp: string;
  chargebee: string;
  by: string;
}

export interface MatchAmbiguity {
  customerp: string[];
  chargebee: string[];
  by: string;
}

/** The result of `match`. */
export interface MatchResult {
  links: MatchLink[];
  ambiguous: MatchAmbiguity[];
}

/**
 * `match` fed page by page, for a host that reads a site a page at a time: give each side's unlinked
 * records in pages, the sides in any order, then call `finish()` once. Only each record's id and keys are
 * kept, never the records. `free()` releases its Wasm memory at once (else the garbage collector does).
 */
export class Matcher<F extends FlowId = FlowId> {
  /** Throws a `SyncError` `unknown_flow` or `invalid_options`, as `match` does. */
  constructor(flow: F, options?: Options | null);
  /**
   * Adds every record of the page it can, and returns the errors of the others (`[]` when all were added):
   * each the `SyncError` `match` throws for that record, with the record's index across every page of this
   * side in its path (`/customerp/1503/id`). A record it cannot add takes no part in the match.
   * Throws a `SyncError` when `records` is not an array, or after `finish()`.
   */
  addCustomerp(records: CustomerpRecord<F>[]): SyncError[];
  /** As `addCustomerp`, for Chargebee resources (paths `/chargebee/<index>/…`). */
  addChargebee(records: ChargebeeResource<F>[]): SyncError[];
  /**
   * The links and ambiguities of every record added, in the shape and order `match` gives for the same
   * records as two whole lists. A Matcher matches once: a second `finish()`, or an `add…` after it, throws a
   * `SyncError` `invalid_type`.
   */
  finish(): MatchResult;
  /** Frees the Matcher's Wasm memory now; the object must not be used afterwards. */
  free(): void;
}

export interface Options {
  /** Default "newest". */
  conflicts?: "newest" | "customerp" | "chargebee";
  /** Per-property override, keyed by Customerp property path. */
  propertyWinners?: { [property: string]: Side };
  /** Default "safe". */
  deletes?: "safe" | "propagate" | "ignore";
  /** IANA name, default "UTC". */
  timeZone?: string;
  /** Required to create items. */
  itemFamilyId?: string;
  /** Company of employees in Chargebee. */
  ownCompanyName?: string;
  /** Default "cp". */
  idPrefix?: string;
  /** Sides never written for this flow (one-way sync); default none. */
  readOnly?: Side[];
  /** RFC 3339: unlinked records created earlier are matched but never copied across. */
  createdAfter?: string;
  /**
   * Drift repair, default off. `true` (or a list of Customerp property paths): a two-way property of a
   * linked pair whose sides differ although neither changed since `base` is planned as at a first sync
   * (a filled value wins over an empty one, else the policy), and reported as a conflict whose rule
   * starts with "repair".
   */
  repair?: boolean | string[];
  /**
   * Who makes the Chargebee order of a new quote or order (quote-order, order-order), default "create":
   * the plan creates the invoice, then `POST /orders` with the deterministic id. "chargebee": the site
   * generates orders for paid invoices (Chargebee's order management), so the plan creates the invoice
   * alone, with no Chargebee id (`link.chargebee` null); the plan given the order Chargebee generated
   * for that invoice, with that create's `base`, adopts it (writes its reference, date, statuses and
   * line skus). Other flows ignore it.
   */
  orders?: "create" | "chargebee";
  /** Extra rows per flow; a call uses its own flow's rows. */
  mappings?: { [F in FlowId]?: Mapping[] };
  /**
   * `plan`, `planBatch` and `planUndo`: each plan lists in `changes` every property it writes, per side, with
   * its value before and after and why (default false; without it a plan is exactly as before).
   */
  changes?: boolean;
}
