// Type-checked only: the CommonJS entry, `require("customerp-chargebee")`.
import cb = require("customerp-chargebee");

const infos: cb.FlowInfo[] = cb.flows();
const body: string = cb.encodeForm({ billing_address: { city: "Berlin" } });
const doc: string = cb.dataflowDocument("markdown");
let code: cb.SyncErrorCode | undefined;
try {
  cb.toChargebee("contact-customer", { id: "17" });
} catch (e) {
  if (e instanceof cb.SyncError) code = e.code;
}
// @ts-expect-error a misspelt field in the CommonJS types too
cb.toChargebee("contact-customer", { id: "17", emial: "ada@example.com" });
export = { infos, body, doc, code };
