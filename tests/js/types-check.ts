// Type-checked only (`tsc --noEmit`), never run: a small use of every exported function, written against
// the package's generated .d.ts in strict mode. With tsconfig.json it checks the Node `import` types
// (pkg/index.d.mts); with tsconfig.bundler.json the same code checks the bundler/browser types.
import {
  dataflowDocument,
  encodeForm,
  flows,
  match,
  plan,
  planBatch,
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
  PlanInput,
  Side,
  SyncError,
  SyncErrorCode,
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

// --- matching ------------------------------------------------------------------------------------
const matched: MatchResult = match("contact-customer", [contact], [customer], { idPrefix: "cp" });
const pairs: [string, string, string][] = matched.links.map((l) => [l.customerp, l.chargebee, l.by]);
const unsure: string[] = matched.ambiguous.flatMap((a) => [...a.customerp, ...a.chargebee]);

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
  if (e instanceof Error && e.name === "SyncError") {
    const err = e as SyncError;
    const known: "unknown_flow" | "invalid_options" | "invalid_type" | "missing_field" | "invalid_value"
      | "too_long" | "unsupported" | "invalid_base" = err.code;
    const isError: Error = err;
    void known, isError, err.flow, err.recordId;
  }
}

// --- what must not type-check ------------------------------------------------------------------------
// @ts-expect-error an unknown flow id
toChargebee("contact", contact);
// @ts-expect-error an unknown document format
dataflowDocument("html");
// @ts-expect-error a misspelt option
plan("contact-customer", input, { conflict: "newest" });
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

export const used = [ids, directions, criteria, roundTrip, pairs, unsure, link, cpAction, cbAction, bodies, methods, keys,
  winners, warnings, waiting, rst, markdown, defaultDoc, mappedDoc, isMapped];
