// `link` and `unlink`: a person pairs two records by hand, or ends a pair and keeps it apart.
import { flowSpec, readRecord } from "../app.mjs";
import { acquireLock } from "../lock.mjs";
import { UsageError } from "../errors.mjs";
import { FLOWS } from "../flows.mjs";
import { Inbox, idsIn } from "../inbox.mjs";

const SIDES = ["customerp", "chargebee"];

/**
 * Links two records after reading both: each must exist and be unlinked in that flow. The next run
 * merges them as at a first sync; with `keep`, differing values go that side's way. Resolves the
 * ambiguous item they were in; its other records stay held, each in an item of its own, until they
 * are linked or that item is dismissed.
 * @param {import("../app.mjs").App} app
 * @param {{ flow: string, customerpId: string, chargebeeId: string, keep?: string, waitSeconds?: number }} a
 */
export async function linkPair(app, a) {
  const f = flowSpec(a.flow);
  if (a.keep !== undefined && !SIDES.includes(a.keep)) throw new UsageError(`--keep takes customerp or chargebee, not ${JSON.stringify(a.keep)}`);
  if (!a.customerpId || !a.chargebeeId) throw new UsageError("link needs <flow> <customerpId> <chargebeeId>");
  const store = app.store;
  const cpLink = await store.linkByCustomerp(f.id, a.customerpId);
  if (cpLink) throw new UsageError(`Customerp ${a.customerpId} is already linked in ${f.id}, to Chargebee ${cpLink.chargebee_id} (unlink it first: unlink ${f.id} ${a.customerpId})`);
  const cbLink = await store.linkByChargebee(f.id, a.chargebeeId);
  if (cbLink) throw new UsageError(`Chargebee ${a.chargebeeId} is already linked in ${f.id}, to Customerp ${cbLink.customerp_id} (unlink it first: unlink ${f.id} ${cbLink.customerp_id})`);
  let other = null;
  for (const g of FLOWS.filter((x) => x.chargebee === f.chargebee && x.id !== f.id)) {
    const l = await store.linkByChargebee(g.id, a.chargebeeId);
    if (l) {
      other = { flow: g.id, link: l };
      break;
    }
  }
  if (other) throw new UsageError(`Chargebee ${a.chargebeeId} is already linked in ${other.flow}, to Customerp ${other.link?.customerp_id}`);
  const [cp, cb] = await Promise.all([readRecord(app, f, "customerp", a.customerpId), readRecord(app, f, "chargebee", a.chargebeeId)]);
  if (!cp || cp.deleted) throw new UsageError(`Customerp has no ${f.customerp} record ${a.customerpId}${cp?.deleted ? " (it is deleted)" : ""}`);
  if (!cb || cb.deleted) throw new UsageError(`Chargebee has no ${f.chargebee} ${a.chargebeeId}${cb?.deleted ? " (it is deleted)" : ""}`);

  const release = await acquireLock(store, { waitSeconds: a.waitSeconds ?? 0, flows: [f.id] });
  try {
    const keep = /** @type {"customerp" | "chargebee" | null} */ (a.keep ?? null);
    /** @type {number[]} */
    const resolved = [];
    /** @type {{ side: string, id: string, item: number }[]} */
    const held = [];
    await store.linkByHand(f.id, a.customerpId, a.chargebeeId, keep, async (k) => {
      const inside = store.within(k);
      const inbox = new Inbox(inside);
      const mine = [...await inbox.list({ kind: "ambiguous", flow: f.id, customerp: a.customerpId }), ...await inbox.list({ kind: "ambiguous", flow: f.id, chargebee: a.chargebeeId })];
      for (const item of new Map(mine.map((i) => [i.id, i])).values()) {
        await inbox.settle(item.id, "resolved", `linked by hand: Customerp ${a.customerpId} ⇄ Chargebee ${a.chargebeeId}`);
        resolved.push(item.id);
        for (const side of /** @type {const} */ (["customerp", "chargebee"])) {
          for (const id of idsIn(side === "customerp" ? item.customerpId : item.chargebeeId)) {
            if (id === (side === "customerp" ? a.customerpId : a.chargebeeId)) continue;
            const name = side === "customerp" ? "Customerp" : "Chargebee";
            const left = await inbox.see({
              run: null, kind: "ambiguous", flow: f.id, [side]: id, key: "held",
              message: `${name} ${id} was in ambiguous match ${item.id}, resolved by linking Customerp ${a.customerpId} ⇄ Chargebee ${a.chargebeeId}; held (not copied) until it is linked or this item is dismissed`,
              detail: { from: item.id },
            });
            await inside.addHold(f.id, side, id, `left over from ambiguous match ${item.id}`, left.id);
            held.push({ side, id, item: left.id });
          }
        }
      }
    });
    return { flow: f.id, customerpId: a.customerpId, chargebeeId: a.chargebeeId, keep, resolved, held };
  } finally {
    await release();
  }
}

/**
 * Ends a link without changing either system, and keeps the pair apart: matching never pairs them
 * again, and neither is copied across until linked again or retried with --create.
 * @param {import("../app.mjs").App} app @param {{ flow: string, customerpId: string, waitSeconds?: number }} a
 */
export async function unlinkPair(app, a) {
  const f = flowSpec(a.flow);
  const l = await app.store.linkByCustomerp(f.id, a.customerpId ?? "");
  if (!l) throw new UsageError(`Customerp ${a.customerpId} is not linked in ${f.id}`);
  const release = await acquireLock(app.store, { waitSeconds: a.waitSeconds ?? 0, flows: [f.id] });
  try {
    await app.store.unlinkByHand(f.id, a.customerpId, l.chargebee_id);
    return { flow: f.id, customerpId: a.customerpId, chargebeeId: l.chargebee_id };
  } finally {
    await release();
  }
}
