// A run's spool: the records it read and the pairs it will plan, in a temporary SQLite file of its own
// (better-sqlite3, synchronous and fast), so a run's memory is bounded by its pages, not by the number
// of records. Each record is read once per run (a resource two flows share, Chargebee's customers, is
// listed once) and kept here until the run ends; the file is removed when the spool closes.
import Database from "better-sqlite3";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** @typedef {Record<string, any>} Json */
/** @typedef {"customerp" | "chargebee"} Side */

const PREFIX = "customerp-chargebee-spool-";

/**
 * Removes the spools of processes that are gone (a run killed outright leaves its spool behind; its name
 * holds its process id). A spool of a live process, this one's included, is left alone.
 * @param {string} parent
 */
export function removeOrphans(parent) {
  let names;
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = /^customerp-chargebee-spool-(\d+)-/.exec(name)?.[1];
    if (!pid || Number(pid) === process.pid) continue;
    try {
      process.kill(Number(pid), 0);
    } catch (e) {
      // ESRCH: no such process. EPERM: alive, someone else's.
      if (/** @type {NodeJS.ErrnoException} */ (e).code === "ESRCH") rmSync(join(parent, name), { recursive: true, force: true });
    }
  }
}

export class Spool {
  /** @param {{ dir?: string }} [o] dir: where the file goes (default the system's temporary folder; SYNC_SPOOL_DIR) */
  constructor(o = {}) {
    const parent = o.dir ?? process.env.SYNC_SPOOL_DIR ?? tmpdir();
    removeOrphans(parent);
    this.dir = mkdtempSync(join(parent, `${PREFIX}${process.pid}-`));
    this.db = new Database(join(this.dir, "spool.sqlite"));
    this.db.pragma("journal_mode = OFF");
    this.db.pragma("synchronous = OFF");
    this.db.pragma("temp_store = FILE");
    this.db.pragma("cache_size = -8000"); // 8 MB of page cache, whatever the spool's size
    this.db.exec(`
      CREATE TABLE records (side TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (side, type, id)) WITHOUT ROWID;
      CREATE TABLE sets (seq INTEGER PRIMARY KEY, name TEXT NOT NULL, id TEXT NOT NULL, UNIQUE (name, id));
      CREATE TABLE pairs (seq INTEGER PRIMARY KEY, flow TEXT NOT NULL, key TEXT NOT NULL, customerp TEXT, chargebee TEXT, base TEXT,
        UNIQUE (flow, key));
      -- The pages read in order: without these, each page of a set sorted the whole set (quadratic in a run's records).
      CREATE INDEX sets_in_order ON sets (name, seq);
      CREATE INDEX pairs_in_order ON pairs (flow, seq);
    `);
    const db = this.db;
    /** Pairs added since the last commit. */
    this.uncommitted = 0;
    this.q = {
      put: db.prepare("INSERT INTO records (side, type, id, json) VALUES (?, ?, ?, ?) ON CONFLICT (side, type, id) DO UPDATE SET json = excluded.json"),
      get: db.prepare("SELECT json FROM records WHERE side = ? AND type = ? AND id = ?"),
      add: db.prepare("INSERT OR IGNORE INTO sets (name, id) VALUES (?, ?)"),
      ids: db.prepare("SELECT seq, id FROM sets WHERE name = ? AND seq > ? ORDER BY seq LIMIT ?"),
      count: db.prepare("SELECT count(*) AS n FROM sets WHERE name = ?"),
      member: db.prepare("SELECT 1 FROM sets WHERE name = ? AND id = ?"),
      copy: db.prepare("INSERT OR IGNORE INTO sets (name, id) SELECT ?, id FROM sets WHERE name = ? ORDER BY seq"),
      pair: db.prepare(`INSERT INTO pairs (flow, key, customerp, chargebee, base) VALUES (@flow, @key, @customerp, @chargebee, @base)
        ON CONFLICT (flow, key) DO UPDATE SET customerp = excluded.customerp, chargebee = excluded.chargebee, base = excluded.base`),
      pairs: db.prepare("SELECT seq, key, customerp, chargebee, base FROM pairs WHERE flow = ? AND seq > ? ORDER BY seq LIMIT ?"),
      countPairs: db.prepare("SELECT count(*) AS n FROM pairs WHERE flow = ?"),
    };
    /** Stores records (the last reading of a record wins) and adds them to a set, when one is named. */
    this.put = /** @type {(side: Side, type: string, set: string | null, records: Json[]) => void} */ (db.transaction((side, type, set, records) => {
      for (const r of records) {
        const id = String(r.id);
        this.q.put.run(side, type, id, JSON.stringify(r));
        if (set) this.q.add.run(set, id);
      }
    }));
    /** Adds ids to a set (once each). */
    this.addIds = /** @type {(set: string, ids: string[]) => void} */ (db.transaction((set, ids) => {
      for (const id of ids) this.q.add.run(set, String(id));
    }));
  }

  /**
   * Adds records by id to a set. @param {string} set @param {Side} _side @param {string} _type @param {string[]} ids
   */
  addToSet(set, _side, _type, ids) {
    if (ids.length) this.addIds(set, ids);
  }

  /** Every id of one set added to another, in order. @param {string} from @param {string} to */
  copySet(from, to) {
    this.q.copy.run(to, from);
  }

  /** The ids of a set a page at a time, in the order they were added. @param {string} set @param {number} [page] @returns {Generator<string[]>} */
  *setIds(set, page = 500) {
    let after = 0;
    for (;;) {
      const rows = /** @type {{ seq: number, id: string }[]} */ (this.q.ids.all(set, after, page));
      if (rows.length === 0) return;
      after = rows[rows.length - 1].seq;
      yield rows.map((r) => r.id);
    }
  }

  /** @param {string} set */
  setCount(set) {
    return /** @type {{ n: number }} */ (this.q.count.get(set)).n;
  }

  /** @param {string} set @param {string} id */
  inSet(set, id) {
    return this.q.member.get(set, id) !== undefined;
  }

  /** A record read in this run, or undefined. @param {Side} side @param {string} type @param {string} id @returns {Json | undefined} */
  get(side, type, id) {
    const row = /** @type {{ json: string } | undefined} */ (this.q.get.get(side, type, id));
    return row ? JSON.parse(row.json) : undefined;
  }

  /** Whether a record was read in this run. @param {Side} side @param {string} type @param {string} id */
  has(side, type, id) {
    return this.q.get.get(side, type, id) !== undefined;
  }

  /**
   * A pair to plan in a flow, once: the same key again replaces it.
   * @param {string} flow @param {string} key @param {{ customerp: string | null, chargebee: string | null }} link @param {string | null} base
   */
  addPair(flow, key, link, base) {
    // Pairs come one at a time: grouped in transactions of 5,000, not one each (a spool needs no durability;
    // this connection reads its own uncommitted rows).
    if (!this.db.inTransaction) this.db.exec("BEGIN");
    this.q.pair.run({ flow, key, customerp: link.customerp, chargebee: link.chargebee, base });
    if (++this.uncommitted >= 5000) {
      this.db.exec("COMMIT");
      this.uncommitted = 0;
    }
  }

  /**
   * A flow's pairs, a page at a time, in the order they were added.
   * @param {string} flow @param {number} page
   * @returns {Generator<{ key: string, link: { customerp: string | null, chargebee: string | null }, base: string | null }[]>}
   */
  *pairs(flow, page) {
    let after = 0;
    for (;;) {
      const rows = /** @type {{ seq: number, key: string, customerp: string | null, chargebee: string | null, base: string | null }[]} */ (this.q.pairs.all(flow, after, page));
      if (rows.length === 0) return;
      after = rows[rows.length - 1].seq;
      yield rows.map((r) => ({ key: r.key, link: { customerp: r.customerp, chargebee: r.chargebee }, base: r.base }));
    }
  }

  /** @param {string} flow */
  pairCount(flow) {
    return /** @type {{ n: number }} */ (this.q.countPairs.get(flow)).n;
  }

  close() {
    if (this.db.open) this.db.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
