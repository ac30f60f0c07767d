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

/** A Customerp record (contact, customer, employee, quote, order, product) as the ERP gives it. */
export type CustomerpRecord = Record<string, unknown>;

/**
 * A Chargebee resource as the API returns it, unwrapped (`{...}`, not `{"customer": {...}}`).
 * For product-item: the item, with its prices under `item_prices` (an array of item price objects).
 */
export type ChargebeeResource = Record<string, unknown>;

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

/** The input of `plan` for one pair of records. */
export interface PlanInput {
  /** Current Customerp record; null = does not exist / is gone. */
  customerp: CustomerpRecord | null;
  /** Current Chargebee resource (unwrapped); null = does not exist / is gone. */
  chargebee: ChargebeeResource | null;
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
export interface CustomerpPlan {
  action: CustomerpAction;
  id?: string;
  /** Partial record: the changed top-level fields (nested objects and `lines` whole, merged). */
  changes?: CustomerpRecord;
  expect?: CustomerpRecord;
  reason?: string;
}

/** What to do on the Chargebee side. */
export interface ChargebeePlan {
  action: ChargebeeAction;
  /** The Chargebee record's id; absent on a create that leaves the record to Chargebee (`orders: "chargebee"`). */
  id?: string;
  requests: ChargebeeRequest[];
  expect?: ChargebeeResource;
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

/** The result of `plan`. */
export interface Plan {
  flow: FlowId;
  link: { customerp: string | null; chargebee: string | null };
  customerp: CustomerpPlan;
  chargebee: ChargebeePlan;
  /** Store this once both sides are written; opaque, versioned. */
  base: PlanBase | null;
  conflicts: Conflict[];
  warnings: PlanWarning[];
  waitingFor: WaitingFor[];
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

/** What every function throws (an `Error` whose `name` is "SyncError"). */
export interface SyncError extends Error {
  name: "SyncError";
  code: SyncErrorCode;
  message: string;
  /** The flow, when known. */
  flow?: string;
  /** The id of the record, when known. */
  recordId?: string;
  /** A JSON Pointer into the input, e.g. "/customerp/address/country". */
  path?: string;
}

/** One slot of `planBatch`: a plan, or the error for that record only. */
export type BatchResult = { ok: true; plan: Plan } | { ok: false; error: SyncError };

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
}
