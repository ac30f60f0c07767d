// Type-checked only: the CommonJS entry, `require("customerp-chargebee")`.
import cb = require("customerp-chargebee");

const infos: cb.FlowInfo[] = cb.flows();
const body: string = cb.encodeForm({ billing_address: { city: "Berlin" } });
const doc: string = cb.dataflowDocument("markdown");
export = { infos, body, doc };
