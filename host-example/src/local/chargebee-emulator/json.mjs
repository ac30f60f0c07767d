// Chargebee's JSON as it is on the wire: `exchange_rate` is a float, `1.0` when the currencies match
// (shared/fixtures/chargebee/order.json, invoice_create_for_charge_items.json), which JSON.stringify
// would print as the integer `1`.
const FLOATS = new Set(["exchange_rate"]);
const MARK = "\u0000float:";

/** @param {unknown} body */
export function chargebeeJson(body) {
  const text = JSON.stringify(body, (k, v) =>
    FLOATS.has(k) && typeof v === "number" && Number.isFinite(v) ? `${MARK}${Number.isInteger(v) ? v.toFixed(1) : String(v)}` : v);
  return text.replace(/"\\u0000float:([-+0-9.e]+)"/g, "$1");
}
