// The run lock: one row in the store naming the run that writes (pid, host, start). Two runs never
// write at once; a holder that crashed never blocks forever: on the same host a dead pid frees the
// lock at once, and anywhere a holder whose heartbeat is older than STALE_MS is taken over.
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { LockedError } from "./errors.mjs";

const HEARTBEAT_MS = 10_000;
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
 * Takes the store's run lock, waiting up to `waitSeconds` for another holder to finish. Returns a
 * release function (idempotent).
 * @param {import("./store.mjs").Store} store
 * @param {{ waitSeconds?: number, pid?: number, sleep?: (ms: number) => Promise<void> }} [o]
 * @returns {Promise<() => void>}
 */
export async function acquireLock(store, o = {}) {
  const db = store.db;
  const me = { pid: o.pid ?? process.pid, host: hostname(), started: new Date().toISOString(), token: randomUUID() };
  const until = Date.now() + (o.waitSeconds ?? 0) * 1000;
  const sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  const take = db.transaction(() => {
    const row = /** @type {{ pid: number, host: string, started: string, heartbeat: number } | undefined} */ (db.prepare("SELECT * FROM run_lock WHERE id = 1").get());
    if (row) {
      const stale = Date.now() - row.heartbeat > STALE_MS || (row.host.split(" ")[0] === me.host && !alive(row.pid));
      if (!stale) return row;
    }
    db.prepare("INSERT OR REPLACE INTO run_lock (id, pid, host, started, heartbeat) VALUES (1, ?, ?, ?, ?)")
      .run(me.pid, `${me.host} ${me.token}`, me.started, Date.now());
    return null;
  });
  for (;;) {
    const holder = take.immediate();
    if (!holder) break;
    if (Date.now() >= until) throw new LockedError({ ...holder, host: holder.host.split(" ")[0] }, store.path);
    await sleep(Math.min(250, Math.max(10, until - Date.now())));
  }
  const mine = `${me.host} ${me.token}`;
  const beat = setInterval(() => {
    if (db.open) db.prepare("UPDATE run_lock SET heartbeat = ? WHERE id = 1 AND host = ?").run(Date.now(), mine);
  }, HEARTBEAT_MS);
  beat.unref();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    clearInterval(beat);
    if (db.open) db.prepare("DELETE FROM run_lock WHERE id = 1 AND host = ?").run(mine);
  };
}

/** The current holder, if any (for messages and the console). @param {import("./store.mjs").Store} store */
export function lockHolder(store) {
  const row = /** @type {any} */ (store.db.prepare("SELECT pid, host, started, heartbeat FROM run_lock WHERE id = 1").get());
  return row ? { pid: row.pid, host: String(row.host).split(" ")[0], started: row.started } : null;
}
