// `resolve` and `confirm`: a person's answer to an inbox item.
import { Inbox, idsIn } from "../inbox.mjs";
import { itemOf } from "./inbox.mjs";
import { UsageError } from "../errors.mjs";

/**
 * `keep` on a conflict makes the other side take the kept value on the next run (a normal write with
 * `expect`); `done` closes a manual step (or any item a person dealt with); `dismiss` closes anything
 * without acting (for an ambiguous match: its records are no longer held, each is synced on its own).
 * @param {import("../app.mjs").App} app
 * @param {{ id: number | string, keep?: string, done?: boolean, dismiss?: boolean }} a
 */
export async function resolveItem(app, a) {
  const given = [a.keep !== undefined, Boolean(a.done), Boolean(a.dismiss)].filter(Boolean).length;
  if (given !== 1) throw new UsageError("resolve takes exactly one of --keep customerp|chargebee, --done, --dismiss");
  const item = await itemOf(app, a.id);
  const inbox = new Inbox(app.store);
  const store = app.store;
  if (a.keep !== undefined) {
    if (a.keep !== "customerp" && a.keep !== "chargebee") throw new UsageError(`--keep takes customerp or chargebee, not ${JSON.stringify(a.keep)}`);
    if (item.kind !== "conflict") throw new UsageError(`item ${item.id} is ${item.kind === "ambiguous" ? "an" : "a"} ${item.kind}, not a conflict: --keep overrides a conflict's decision`);
    const c = item.detail;
    if (c.property === "deleted") throw new UsageError(`item ${item.id} is a delete against an edit; to sync the record again use \`retry ${item.flow} customerp:${item.customerpId}\``);
    if (!item.customerpId || !item.chargebeeId || !item.flow) throw new UsageError(`item ${item.id} names no linked pair`);
    if (c.winner === a.keep) {
      await inbox.settle(item.id, "resolved", `kept ${a.keep}: that was the decision already; nothing to write`);
    } else {
      await store.addOverride({ item: item.id, flow: item.flow, customerp: item.customerpId, chargebee: item.chargebeeId, property: c.property, side: a.keep, value: c[a.keep] });
      await inbox.settle(item.id, "decided", `overridden: keep ${a.keep}'s value ${JSON.stringify(c[a.keep])}; the next run writes it`);
    }
  } else if (a.done) {
    if (item.kind === "conflict") throw new UsageError(`item ${item.id} is a conflict: use --keep customerp|chargebee, or --dismiss`);
    await inbox.settle(item.id, "resolved", "done by a person");
  } else {
    await inbox.settle(item.id, "dismissed", "dismissed by a person");
    if (item.kind === "ambiguous" && item.flow) {
      for (const id of idsIn(item.customerpId)) if ((await store.hold(item.flow, "customerp", id))?.item === item.id) await store.releaseHold(item.flow, "customerp", id);
      for (const id of idsIn(item.chargebeeId)) if ((await store.hold(item.flow, "chargebee", id))?.item === item.id) await store.releaseHold(item.flow, "chargebee", id);
      for (const id of idsIn(item.customerpId)) await store.readAgain(item.flow, "customerp", id, "ambiguous match dismissed");
      for (const id of idsIn(item.chargebeeId)) await store.readAgain(item.flow, "chargebee", id, "ambiguous match dismissed");
    }
    if (item.kind === "conflict" && (await store.hasOverride(item.id))) await store.dropOverride(item.id);
  }
  return /** @type {import("../inbox.mjs").Item} */ (await inbox.get(item.id));
}

/**
 * Lets the next run of a flow the guard stopped go through, once.
 * @param {import("../app.mjs").App} app @param {{ id: number | string }} a
 */
export async function confirmItem(app, a) {
  const item = await itemOf(app, a.id);
  if (item.kind !== "guard") throw new UsageError(`item ${item.id} is ${item.kind === "ambiguous" || item.kind === "error" ? "an" : "a"} ${item.kind}, not a guard item: confirm lets a run the guard stopped go through`);
  if (item.state !== "open") throw new UsageError(`item ${item.id} is ${item.state}${item.resolution ? ` (${item.resolution})` : ""}`);
  const inbox = new Inbox(app.store);
  await inbox.settle(item.id, "resolved", "confirmed by a person: the next run goes through once");
  return /** @type {import("../inbox.mjs").Item} */ (await inbox.get(item.id));
}
