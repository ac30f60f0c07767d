// Leases: at most one run writes a tenant's flow at a time, on one machine or many. A lease is a row
// per tenant and flow naming its holder, with a heartbeat and a fencing token that grows by one each
// time the lease changes hands. The holder's store checks that token in every write of the flow
// (Store.tx), so a holder that stalled past its lease, and woke up after another took over, writes
// no link, base or inbox row more. A holder that died never blocks for long: on its own machine a
// dead pid frees the lease at once, and anywhere a heartbeat older than STALE_MS does.
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { LockedError } from "./errors.mjs";
import { FLOWS } from "./flows.mjs";

export const HEARTBEAT_MS = 10_000;
export const STALE_MS = 60_000;

/** @param {number} pid */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return /** @type {any} */ (e).code === "EPERM";
  }
}

/**
 * @typedef {object} LeaseOptions
 * @property {number} [waitSeconds] wait this long for another holder to finish
 * @property {string[]} [flows] the flows to hold (default: every flow)
 * @property {number} [pid]
 * @property {string} [holder] a name for the holder (a worker's id)
 * @property {number} [staleMs] a heartbeat older than this frees the lease (default STALE_MS)
 * @property {number} [heartbeatMs] default HEARTBEAT_MS
 * @property {(ms: number) => Promise<void>} [sleep]
 */

/**
 * Takes the leases of `flows` (all of them, in a fixed order, so two takers never wait for each
 * other), fences the store with their tokens, and keeps them alive. Returns the release function
 * (idempotent, async).
 * @param {import("./store/store.mjs").Store} store @param {LeaseOptions} [o]
 * @returns {Promise<(() => Promise<void>) & { tokens: Map<string, number>, lost: () => string[] }>}
 */
export async function acquireLock(store, o = {}) {
  const names = [...new Set(o.flows ?? FLOWS.map((f) => f.id))].sort();
  const me = { pid: o.pid ?? process.pid, host: hostname(), holder: `${o.holder ?? hostname()} ${randomUUID()}`, started: new Date().toISOString() };
  const until = Date.now() + (o.waitSeconds ?? 0) * 1000;
  const sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  /** @type {Map<string, number>} */
  const tokens = new Map();
  const staleMs = o.staleMs ?? STALE_MS;
  try {
    for (const name of names) {
      for (;;) {
        const holder = await take(store, name, me, staleMs);
        if (typeof holder === "number") {
          tokens.set(name, holder);
          break;
        }
        if (Date.now() >= until) throw new LockedError({ pid: holder.pid ?? 0, host: holder.host ?? "?", started: holder.started ?? "?" }, store.path);
        await sleep(Math.min(250, Math.max(10, until - Date.now())));
      }
    }
  } catch (e) {
    await giveBack(store, tokens);
    throw e;
  }
  for (const [name, token] of tokens) store.fences.set(name, token);
  /** @type {string[]} */
  const lost = [];
  const beat = setInterval(() => {
    if (store.closed) return;
    for (const [name, token] of tokens) {
      void store.k.updateTable("leases").set({ heartbeat: Date.now() })
        .where("tenant", "=", store.tenant).where("name", "=", name).where("token", "=", token).executeTakeFirst()
        .then((r) => {
          if (Number(r.numUpdatedRows) !== 1 && !lost.includes(name)) lost.push(name);
        }, () => {});
    }
  }, o.heartbeatMs ?? HEARTBEAT_MS);
  beat.unref();
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    clearInterval(beat);
    for (const [name, token] of tokens) if (store.fences.get(name) === token) store.fences.delete(name);
    if (!store.closed) await giveBack(store, tokens);
  };
  return Object.assign(release, { tokens, lost: () => [...lost] });
}

/**
 * One attempt at a lease: the new token, or the current holder.
 * @param {import("./store/store.mjs").Store} store @param {string} name
 * @param {{ pid: number, host: string, holder: string, started: string }} me @param {number} staleMs
 * @returns {Promise<number | { pid: number | null, host: string | null, started: string | null }>}
 */
async function take(store, name, me, staleMs) {
  const k = store.k;
  const at = Date.now();
  const mine = { holder: me.holder, pid: me.pid, host: me.host, started: me.started, heartbeat: at };
  const inserted = await k.insertInto("leases").values({ tenant: store.tenant, name, token: 1, ...mine })
    .onConflict((oc) => oc.doNothing()).executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return 1;
  const row = await k.selectFrom("leases").selectAll().where("tenant", "=", store.tenant).where("name", "=", name).executeTakeFirst();
  if (!row) return take(store, name, me, staleMs);
  const free = row.holder === null || at - Number(row.heartbeat) > staleMs || (row.host === me.host && row.pid != null && !alive(Number(row.pid)));
  if (!free) return { pid: row.pid, host: row.host, started: row.started };
  // Compare and swap on the token: of two takers, one wins.
  const token = Number(row.token) + 1;
  const r = await k.updateTable("leases").set({ token, ...mine })
    .where("tenant", "=", store.tenant).where("name", "=", name).where("token", "=", row.token).executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) return take(store, name, me, staleMs);
  if (row.holder !== null) {
    // The holder before died or stalled: its part of a run ends here, in the run table too.
    await k.updateTable("run_flows").set({ finished: at, outcome: "abandoned" })
      .where("tenant", "=", store.tenant).where("flow", "=", name).where("token", "=", row.token).where("finished", "is", null).execute();
  }
  return token;
}

/** @param {import("./store/store.mjs").Store} store @param {Map<string, number>} tokens */
async function giveBack(store, tokens) {
  for (const [name, token] of tokens) {
    await store.k.updateTable("leases").set({ holder: null })
      .where("tenant", "=", store.tenant).where("name", "=", name).where("token", "=", token).execute().catch(() => {});
  }
}

/** The current holder of any flow's lease, if any (for messages and the console). @param {import("./store/store.mjs").Store} store */
export async function lockHolder(store) {
  const row = await store.k.selectFrom("leases").selectAll().where("tenant", "=", store.tenant).where("holder", "is not", null).orderBy("started").executeTakeFirst();
  return row ? { pid: row.pid, host: row.host, started: row.started, flow: row.name } : null;
}
