// The store's database: a Kysely instance over SQLite (better-sqlite3, the embedded default) or
// PostgreSQL (pg, for many tenants and workers), chosen by SYNC_DB: a file path or a postgres:// URL.
// Kysely is the one query language of both (one schema, one migration path, see schema.mjs); what
// differs lives here: how a connection is made, SQLite's single writer (BEGIN IMMEDIATE, busy
// timeout), and the copy a dry run plans on.
import Database from "better-sqlite3";
import pg from "pg";
import { CompiledQuery, Kysely, OperationNodeTransformer, PostgresDialect, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from "kysely";
import { redact, redactValue } from "../redact.mjs";

// int8 (count(*), bigint columns) as a JS number: every id and millisecond the store holds is far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

/** @typedef {"sqlite" | "postgres"} Dialect */

/** Whether SYNC_DB names a PostgreSQL database. @param {string} target */
export const isPostgresUrl = (target) => /^postgres(?:ql)?:\/\//i.test(target);

/**
 * Every string a query stores passes the redactor: a secret echoed by an upstream (an error message,
 * a request in the journal) never reaches a row.
 */
class Redactor extends OperationNodeTransformer {
  /** @param {any} node */
  transformValue(node) {
    const v = node.value;
    if (typeof v === "string") return { ...node, value: redact(v) };
    if (v && typeof v === "object" && !Buffer.isBuffer(v)) return { ...node, value: redactValue(v) };
    return node;
  }

  /** @param {any} node */
  transformPrimitiveValueList(node) {
    return { ...node, values: node.values.map((/** @type {unknown} */ v) => (typeof v === "string" ? redact(v) : v)) };
  }
}

/** @type {import("kysely").KyselyPlugin} */
const redacting = {
  transformQuery: (args) => new Redactor().transformNode(args.node, args.queryId),
  transformResult: async (args) => args.result,
};

/**
 * better-sqlite3 behind Kysely, with what the stock driver lacks: prepared statements reused, and
 * transactions that take the write lock when they begin (BEGIN IMMEDIATE), so two processes on one
 * file wait for each other (busy_timeout) instead of failing when a reader turns writer.
 */
class SqliteDriver {
  /** @param {Database.Database} db */
  constructor(db) {
    this.db = db;
    /** @type {Map<string, Database.Statement>} */
    this.statements = new Map();
    /** @type {Promise<void>} one connection: callers queue */
    this.queue = Promise.resolve();
    /** @type {(() => void) | null} */
    this.unlock = null;
    const conn = {
      /** @param {CompiledQuery} q */
      executeQuery: async (q) => this.#execute(q),
      /** @param {CompiledQuery} q */
      async *streamQuery(q) {
        yield conn.executeQuery(q);
      },
    };
    this.connection = conn;
  }

  async init() {}

  async acquireConnection() {
    const prev = this.queue;
    /** @type {() => void} */
    let release = () => {};
    this.queue = new Promise((r) => (release = r));
    await prev;
    this.unlock = release;
    return this.connection;
  }

  async releaseConnection() {
    const u = this.unlock;
    this.unlock = null;
    u?.();
  }

  /** @param {string} sql */
  #statement(sql) {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      if (this.statements.size > 500) this.statements.clear();
      this.statements.set(sql, st);
    }
    return st;
  }

  /** @param {CompiledQuery} q */
  #execute(q) {
    const params = q.parameters.map((p) => (typeof p === "boolean" ? Number(p) : p));
    const st = this.#statement(q.sql);
    if (st.reader) return { rows: st.all(params) };
    const r = st.run(params);
    return { rows: [], numAffectedRows: BigInt(r.changes), insertId: BigInt(r.lastInsertRowid) };
  }

  async beginTransaction() {
    this.db.exec("BEGIN IMMEDIATE");
  }

  async commitTransaction() {
    this.db.exec("COMMIT");
  }

  async rollbackTransaction() {
    if (this.db.inTransaction) this.db.exec("ROLLBACK");
  }

  async destroy() {
    if (this.db.open) this.db.close();
  }
}

/** @param {Database.Database} db @returns {import("kysely").Dialect} */
function sqliteDialect(db) {
  return {
    createDriver: () => /** @type {any} */ (new SqliteDriver(db)),
    createQueryCompiler: () => new SqliteQueryCompiler(),
    createAdapter: () => new SqliteAdapter(),
    createIntrospector: (k) => new SqliteIntrospector(k),
  };
}

/**
 * An open database: the Kysely instance, its dialect, and for SQLite the better-sqlite3 handle (for
 * an online backup and the dry run's copy).
 * @typedef {object} Db
 * @property {Kysely<any>} k
 * @property {Dialect} dialect
 * @property {string} target the file path or the URL without its password
 * @property {Database.Database} [sqlite]
 * @property {pg.Pool} [pool]
 * @property {string} [url] PostgreSQL: the URL it was opened with (for pg_dump; never printed)
 * @property {() => Promise<void>} close
 */

/**
 * Opens SYNC_DB: a file path (":memory:" or a serialized image for a copy) or a postgres:// URL.
 * @param {string | Buffer} target @returns {Db}
 */
export function openDb(target) {
  if (typeof target === "string" && isPostgresUrl(target)) {
    const pool = new pg.Pool({ connectionString: target, max: Number(process.env.SYNC_DB_POOL ?? 10), idleTimeoutMillis: 30_000 });
    // A connection dropped by the server (a restart) must not take the process down: the next query reconnects.
    pool.on("error", () => {});
    const k = new Kysely({ dialect: new PostgresDialect({ pool }), plugins: [redacting] });
    return { k, dialect: "postgres", target: printableDbUrl(target), url: target, pool, close: () => k.destroy() };
  }
  const sqlite = new Database(/** @type {any} */ (target));
  sqlite.pragma("busy_timeout = 5000");
  if (typeof target === "string" && target !== ":memory:") sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = OFF");
  const k = new Kysely({ dialect: sqliteDialect(sqlite), plugins: [redacting] });
  return {
    k, dialect: "sqlite", target: typeof target === "string" ? target : ":memory:", sqlite,
    close: async () => {
      await k.destroy();
      if (sqlite.open) sqlite.close();
    },
  };
}

/** A postgres:// URL without its password, for messages. @param {string} url */
export function printableDbUrl(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = "****";
    return u.toString();
  } catch {
    return "postgres://(unparsable URL)";
  }
}

/**
 * A PostgreSQL database on one connection of its own, whose tables are session copies (TEMP tables
 * shadow the permanent ones of the same name) of one tenant's rows: a dry run plans on it, and
 * nothing it writes reaches the shared tables or takes a lock a worker waits for.
 * @param {pg.Pool} pool @param {string} url @param {string[]} tables @param {string} tenant @returns {Promise<Db>}
 */
export async function postgresCopy(pool, url, tables, tenant) {
  const client = await pool.connect();
  try {
    const schema = (await client.query("SELECT current_schema() AS s")).rows[0].s;
    for (const t of tables) {
      await client.query(`CREATE TEMP TABLE "${t}" (LIKE "${schema}"."${t}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`);
      const scoped = t === "tenants" ? "id = $1" : "tenant = $1";
      await client.query(`INSERT INTO "${t}" SELECT * FROM "${schema}"."${t}" WHERE ${scoped}`, [tenant]);
    }
  } catch (e) {
    client.release(true);
    throw e;
  }
  // A pool of this one client: every query of the copy sees the session's TEMP tables.
  const giveBack = client.release.bind(client);
  const one = {
    connect: async () => Object.assign(client, { release: () => {} }),
    end: async () => {},
  };
  const k = new Kysely({ dialect: new PostgresDialect({ pool: /** @type {any} */ (one) }), plugins: [redacting] });
  return {
    k, dialect: "postgres", target: `${printableDbUrl(url)} (a copy of tenant ${JSON.stringify(tenant)} in one session)`,
    close: async () => {
      await k.destroy();
      // TEMP tables end with the session: the client is closed and leaves the pool (release(true)).
      giveBack(true);
    },
  };
}

/** Milliseconds now, by the database's clock when it is shared (PostgreSQL), else this machine's. @param {Db} db */
export async function dbNow(db) {
  if (db.dialect !== "postgres") return Date.now();
  const row = await db.k.executeQuery(CompiledQuery.raw("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms"));
  return Number(/** @type {any} */ (row.rows[0]).ms);
}
