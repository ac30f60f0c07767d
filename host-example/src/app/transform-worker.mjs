// The transform endpoint's planning, in a worker thread (see transform.mjs). Errors cross back as plain
// objects: structured cloning keeps an Error's message but drops its code and path.
import { planBatch } from "customerp-chargebee";

/** @param {any} e */
export const errorJson = (e) => ({ name: e?.name ?? "Error", code: e?.code, message: e?.message ?? String(e), flow: e?.flow, recordId: e?.recordId, path: e?.path });

/** @param {{ flow: string, inputs: any[], options: any }} task */
export default function plan({ flow, inputs, options }) {
  try {
    const results = planBatch(/** @type {any} */ (flow), inputs, options);
    return { results: results.map((r) => (r.ok ? { ok: true, plan: r.plan } : { ok: false, error: errorJson(r.error) })) };
  } catch (e) {
    return { error: errorJson(e) };
  }
}
