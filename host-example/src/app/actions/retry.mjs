// `retry`: one record now — read, plan its pair, write it — for a failed, waiting or held record.
import { flowSpec, recordRef, syncOf } from "../app.mjs";
import { acquireLock } from "../lock.mjs";
import { Inbox } from "../inbox.mjs";
import { exitCodeOf } from "./run.mjs";

/**
 * @param {import("../app.mjs").App} app
 * @param {{ flow: string, record: string, create?: boolean, waitSeconds?: number, out?: (line: string) => void }} a
 */
export async function retryRecord(app, a) {
  const f = flowSpec(a.flow);
  const { side, id } = recordRef(a.record);
  const release = await acquireLock(app.store, { waitSeconds: a.waitSeconds ?? 0, flows: [f.id] });
  try {
    const summary = await syncOf(app, { out: a.out }).syncRecords(f.id, { [side]: [id] }, { create: a.create });
    const l = side === "customerp" ? await app.store.linkByCustomerp(f.id, id) : await app.store.linkByChargebee(f.id, id);
    const hold = await app.store.hold(f.id, side, id);
    const stats = /** @type {import("../loop.mjs").FlowStats} */ (summary.flows[f.id]);
    const items = await new Inbox(app.store).list({ all: true, flow: f.id, [side]: id });
    return {
      flow: f.id, side, id,
      link: l ? { customerp: l.customerp_id, chargebee: l.chargebee_id } : null,
      held: hold?.reason ?? (stats.held > 0 && !l ? "held (see the inbox)" : null),
      found: stats.read.customerp + stats.read.chargebee > 0,
      summary, items, exitCode: exitCodeOf(summary),
    };
  } finally {
    await release();
  }
}
