// `inbox`: what needs a person.
import { Inbox, KINDS } from "../inbox.mjs";
import { flowSpec } from "../app.mjs";
import { UsageError } from "../errors.mjs";

/**
 * @param {import("../app.mjs").App} app
 * @param {{ all?: boolean, kind?: string, flow?: string, state?: string }} [a]
 * @returns {Promise<import("../inbox.mjs").Item[]>}
 */
export async function listInbox(app, a = {}) {
  if (a.kind && !KINDS.includes(/** @type {any} */ (a.kind))) throw new UsageError(`unknown kind ${JSON.stringify(a.kind)}; kinds: ${KINDS.join(", ")}`);
  if (a.flow) flowSpec(a.flow);
  const states = ["open", "decided", "resolved", "dismissed"];
  if (a.state && !states.includes(a.state)) throw new UsageError(`unknown state ${JSON.stringify(a.state)}; states: ${states.join(", ")}`);
  return new Inbox(app.store).list(a);
}

/** One item, or a UsageError naming the id. @param {import("../app.mjs").App} app @param {number | string} id */
export async function itemOf(app, id) {
  const n = Number(id);
  const item = Number.isInteger(n) ? await new Inbox(app.store).get(n) : undefined;
  if (!item) throw new UsageError(`no inbox item ${JSON.stringify(String(id))} (see the ids with \`inbox --all\`)`);
  return item;
}
