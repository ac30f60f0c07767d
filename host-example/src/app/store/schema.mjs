// The store's schema: one definition for SQLite and PostgreSQL, as ordered migrations run by Kysely's
// Migrator (which holds a lock while it migrates, so workers starting together migrate once). The
// schema version is the number of migrations applied. A store written by a newer host (a migration
// this host does not know) is refused with both versions named; there are no downgrades: restore
// the backup taken before the upgrade (`sync.mjs backup`).
//   001  the store of the first release (tables created with IF NOT EXISTS, no version): adopted as is
//   002  tenants (every row carries its tenant; '' is the store's own, single tenant), leases with
//        fencing tokens (instead of one run lock), each side's version in a link (own echoes cost no
//        plan), the journal of writes, per-flow run records, the shared rate buckets, Sesam's replica
//   004  links found by Chargebee id through an index that holds the flow (a first sync was quadratic)
import { Migrator, sql } from "kysely";

/** @typedef {import("./db.mjs").Db} Db */

/** A column of generated ids: SQLite's rowid alias, PostgreSQL's bigserial. @param {Db} db */
const autoId = (db) => (db.dialect === "postgres" ? "bigserial" : "integer");

/** @param {Db} db @returns {Record<string, import("kysely").Migration>} */
function migrations(db) {
  return {
    "001_first_release": {
      async up(k) {
        const id = autoId(db);
        const t = (/** @type {string} */ name) => k.schema.createTable(name).ifNotExists();
        await t("links").addColumn("flow", "text", (c) => c.notNull()).addColumn("customerp_id", "text", (c) => c.notNull())
          .addColumn("chargebee_id", "text", (c) => c.notNull()).addColumn("base", "text").addColumn("linked_by", "text", (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("links_pkey", ["flow", "customerp_id"]).addUniqueConstraint("links_flow_chargebee_id_key", ["flow", "chargebee_id"]).execute();
        await k.schema.createIndex("links_by_chargebee").ifNotExists().on("links").column("chargebee_id").execute();
        await t("cursors").addColumn("flow", "text", (c) => c.notNull()).addColumn("system", "text", (c) => c.notNull())
          .addColumn("type", "text", (c) => c.notNull()).addColumn("value", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("cursors_pkey", ["flow", "system", "type"]).execute();
        await t("pending").addColumn("flow", "text", (c) => c.notNull()).addColumn("side", "text", (c) => c.notNull())
          .addColumn("id", "text", (c) => c.notNull()).addColumn("reason", "text", (c) => c.notNull()).addColumn("attempts", "integer", (c) => c.notNull())
          .addPrimaryKeyConstraint("pending_pkey", ["flow", "side", "id"]).execute();
        await t("log").addColumn("id", id, (c) => c.primaryKey()).addColumn("run", "integer").addColumn("at", "text", (c) => c.notNull())
          .addColumn("flow", "text").addColumn("kind", "text", (c) => c.notNull()).addColumn("customerp_id", "text").addColumn("chargebee_id", "text")
          .addColumn("property", "text").addColumn("message", "text", (c) => c.notNull()).addColumn("detail", "text").execute();
        await t("runs").addColumn("id", id, (c) => c.primaryKey()).addColumn("started", "text", (c) => c.notNull())
          .addColumn("finished", "text").addColumn("summary", "text").execute();
        await t("business_entities").addColumn("id", "text", (c) => c.primaryKey()).addColumn("resource_version", "bigint")
          .addColumn("json", "text", (c) => c.notNull()).execute();
        await t("inbox").addColumn("id", id, (c) => c.primaryKey()).addColumn("cause", "text", (c) => c.notNull().unique())
          .addColumn("kind", "text", (c) => c.notNull()).addColumn("flow", "text").addColumn("customerp_id", "text").addColumn("chargebee_id", "text")
          .addColumn("property", "text").addColumn("message", "text", (c) => c.notNull()).addColumn("detail", "text")
          .addColumn("state", "text", (c) => c.notNull()).addColumn("resolution", "text").addColumn("first_run", "integer").addColumn("last_run", "integer")
          .addColumn("created_at", "text", (c) => c.notNull()).addColumn("updated_at", "text", (c) => c.notNull()).execute();
        await k.schema.createIndex("inbox_by_state").ifNotExists().on("inbox").columns(["state", "kind", "flow"]).execute();
        await t("holds").addColumn("flow", "text", (c) => c.notNull()).addColumn("side", "text", (c) => c.notNull()).addColumn("id", "text", (c) => c.notNull())
          .addColumn("reason", "text", (c) => c.notNull()).addColumn("item", "integer").addPrimaryKeyConstraint("holds_pkey", ["flow", "side", "id"]).execute();
        await t("kept_apart").addColumn("flow", "text", (c) => c.notNull()).addColumn("customerp_id", "text", (c) => c.notNull())
          .addColumn("chargebee_id", "text", (c) => c.notNull()).addColumn("at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("kept_apart_pkey", ["flow", "customerp_id", "chargebee_id"]).execute();
        await t("first_sync_keep").addColumn("flow", "text", (c) => c.notNull()).addColumn("customerp_id", "text", (c) => c.notNull())
          .addColumn("side", "text", (c) => c.notNull()).addPrimaryKeyConstraint("first_sync_keep_pkey", ["flow", "customerp_id"]).execute();
        await t("overrides").addColumn("item", "integer", (c) => c.primaryKey()).addColumn("flow", "text", (c) => c.notNull())
          .addColumn("customerp_id", "text", (c) => c.notNull()).addColumn("chargebee_id", "text", (c) => c.notNull())
          .addColumn("property", "text", (c) => c.notNull()).addColumn("side", "text", (c) => c.notNull()).addColumn("value", "text").execute();
        await t("order_waits").addColumn("flow", "text", (c) => c.notNull()).addColumn("customerp_id", "text", (c) => c.notNull())
          .addColumn("invoice_id", "text").addColumn("base", "text").addColumn("since", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("order_waits_pkey", ["flow", "customerp_id"]).execute();
        await k.schema.createIndex("order_waits_by_invoice").ifNotExists().on("order_waits").column("invoice_id").execute();
        await t("run_lock").addColumn("id", "integer", (c) => c.primaryKey()).addColumn("pid", "integer", (c) => c.notNull())
          .addColumn("host", "text", (c) => c.notNull()).addColumn("started", "text", (c) => c.notNull()).addColumn("heartbeat", "bigint", (c) => c.notNull()).execute();
      },
    },

    "002_tenants_leases_journal": {
      async up(k) {
        const id = autoId(db);
        /**
         * A table rebuilt with a tenant column leading its keys: made under a new name, filled from the
         * old one with tenant '', then put in its place (SQLite cannot change a primary key in place).
         * @param {string} name @param {(b: import("kysely").CreateTableBuilder<any, any>) => import("kysely").CreateTableBuilder<any, any>} columns
         * @param {string[]} keep the old columns copied
         */
        const rebuild = async (name, columns, keep) => {
          const next = `${name}_v2`;
          await columns(k.schema.createTable(next).addColumn("tenant", "text", (c) => c.notNull().defaultTo(""))).execute();
          const cols = keep.map((c) => `"${c}"`).join(", ");
          await sql.raw(`INSERT INTO "${next}" (tenant, ${cols}) SELECT '', ${cols} FROM "${name}"`).execute(k);
          await k.schema.dropTable(name).execute();
          await k.schema.alterTable(next).renameTo(name).execute();
        };
        await rebuild("links", (b) => b.addColumn("flow", "text", (c) => c.notNull()).addColumn("customerp_id", "text", (c) => c.notNull())
          .addColumn("chargebee_id", "text", (c) => c.notNull()).addColumn("base", "text").addColumn("linked_by", "text", (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          // each side's version as of the base (Chargebee's resource_version, a hash of Customerp's record): a record read
          // again at that version has not changed since, and is not planned
          .addColumn("customerp_version", "text").addColumn("chargebee_version", "text")
          .addPrimaryKeyConstraint("links_t_pkey", ["tenant", "flow", "customerp_id"]).addUniqueConstraint("links_t_chargebee", ["tenant", "flow", "chargebee_id"]),
        ["flow", "customerp_id", "chargebee_id", "base", "linked_by", "updated_at"]);
        await k.schema.createIndex("links_t_by_chargebee").on("links").columns(["tenant", "chargebee_id"]).execute();
        await rebuild("cursors", (b) => b.addColumn("flow", "text", (c) => c.notNull()).addColumn("system", "text", (c) => c.notNull())
          .addColumn("type", "text", (c) => c.notNull()).addColumn("value", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("cursors_t_pkey", ["tenant", "flow", "system", "type"]), ["flow", "system", "type", "value"]);
        await rebuild("pending", (b) => b.addColumn("flow", "text", (c) => c.notNull()).addColumn("side", "text", (c) => c.notNull())
          .addColumn("id", "text", (c) => c.notNull()).addColumn("reason", "text", (c) => c.notNull()).addColumn("attempts", "integer", (c) => c.notNull())
          .addPrimaryKeyConstraint("pending_t_pkey", ["tenant", "flow", "side", "id"]), ["flow", "side", "id", "reason", "attempts"]);
        await rebuild("log", (b) => b.addColumn("id", id, (c) => c.primaryKey()).addColumn("run", "integer").addColumn("at", "text", (c) => c.notNull())
          .addColumn("flow", "text").addColumn("kind", "text", (c) => c.notNull()).addColumn("customerp_id", "text").addColumn("chargebee_id", "text")
          .addColumn("property", "text").addColumn("message", "text", (c) => c.notNull()).addColumn("detail", "text"),
        ["id", "run", "at", "flow", "kind", "customerp_id", "chargebee_id", "property", "message", "detail"]);
        await k.schema.createIndex("log_t_by_run").on("log").columns(["tenant", "run"]).execute();
        await k.schema.createIndex("log_t_by_kind").on("log").columns(["tenant", "kind", "flow"]).execute();
        await rebuild("runs", (b) => b.addColumn("id", id, (c) => c.primaryKey()).addColumn("started", "text", (c) => c.notNull())
          .addColumn("finished", "text").addColumn("summary", "text")
          .addColumn("worker", "text").addColumn("outcome", "text").addColumn("dry_run", "integer", (c) => c.notNull().defaultTo(0)),
        ["id", "started", "finished", "summary"]);
        await k.schema.createIndex("runs_t").on("runs").columns(["tenant", "id"]).execute();
        await rebuild("business_entities", (b) => b.addColumn("id", "text", (c) => c.notNull()).addColumn("resource_version", "bigint")
          .addColumn("json", "text", (c) => c.notNull()).addPrimaryKeyConstraint("business_entities_t_pkey", ["tenant", "id"]), ["id", "resource_version", "json"]);
        await rebuild("inbox", (b) => b.addColumn("id", id, (c) => c.primaryKey()).addColumn("cause", "text", (c) => c.notNull())
          .addColumn("kind", "text", (c) => c.notNull()).addColumn("flow", "text").addColumn("customerp_id", "text").addColumn("chargebee_id", "text")
          .addColumn("property", "text").addColumn("message", "text", (c) => c.notNull()).addColumn("detail", "text")
          .addColumn("state", "text", (c) => c.notNull()).addColumn("resolution", "text").addColumn("first_run", "integer").addColumn("last_run", "integer")
          .addColumn("created_at", "text", (c) => c.notNull()).addColumn("updated_at", "text", (c) => c.notNull())
          .addUniqueConstraint("inbox_t_cause", ["tenant", "cause"]),
        ["id", "cause", "kind", "flow", "customerp_id", "chargebee_id", "property", "message", "detail", "state", "resolution", "first_run", "last_run", "created_at", "updated_at"]);
        await k.schema.createIndex("inbox_t_by_state").on("inbox").columns(["tenant", "state", "kind", "flow"]).execute();
        await rebuild("holds", (b) => b.addColumn("flow", "text", (c) => c.notNull()).addColumn("side", "text", (c) => c.notNull()).addColumn("id", "text", (c) => c.notNull())
          .addColumn("reason", "text", (c) => c.notNull()).addColumn("item", "integer").addPrimaryKeyConstraint("holds_t_pkey", ["tenant", "flow", "side", "id"]),
        ["flow", "side", "id", "reason", "item"]);
        await rebuild("kept_apart", (b) => b.addColumn("flow", "text", (c) => c.notNull()).addColumn("customerp_id", "text", (c) => c.notNull())
          .addColumn("chargebee_id", "text", (c) => c.notNull()).addColumn("at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("kept_apart_t_pkey", ["tenant", "flow", "customerp_id", "chargebee_id"]), ["flow", "customerp_id", "chargebee_id", "at"]);
        await rebuild("first_sync_keep", (b) => b.addColumn("flow", "text", (c) => c.notNull()).addColumn("customerp_id", "text", (c) => c.notNull())
          .addColumn("side", "text", (c) => c.notNull()).addPrimaryKeyConstraint("first_sync_keep_t_pkey", ["tenant", "flow", "customerp_id"]), ["flow", "customerp_id", "side"]);
        await rebuild("overrides", (b) => b.addColumn("item", "integer", (c) => c.primaryKey()).addColumn("flow", "text", (c) => c.notNull())
          .addColumn("customerp_id", "text", (c) => c.notNull()).addColumn("chargebee_id", "text", (c) => c.notNull())
          .addColumn("property", "text", (c) => c.notNull()).addColumn("side", "text", (c) => c.notNull()).addColumn("value", "text"),
        ["item", "flow", "customerp_id", "chargebee_id", "property", "side", "value"]);
        await rebuild("order_waits", (b) => b.addColumn("flow", "text", (c) => c.notNull()).addColumn("customerp_id", "text", (c) => c.notNull())
          .addColumn("invoice_id", "text").addColumn("base", "text").addColumn("since", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("order_waits_t_pkey", ["tenant", "flow", "customerp_id"]), ["flow", "customerp_id", "invoice_id", "base", "since"]);
        await k.schema.createIndex("order_waits_t_by_invoice").on("order_waits").columns(["tenant", "invoice_id"]).execute();
        // The one run lock becomes a lease per tenant and flow, with a fencing token: a holder that lost
        // its lease (stalled past it) finds its token changed and writes nothing more.
        await k.schema.dropTable("run_lock").execute();
        await k.schema.createTable("leases").addColumn("tenant", "text", (c) => c.notNull()).addColumn("name", "text", (c) => c.notNull())
          .addColumn("token", "bigint", (c) => c.notNull()).addColumn("holder", "text").addColumn("pid", "integer").addColumn("host", "text")
          .addColumn("started", "text").addColumn("heartbeat", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("leases_pkey", ["tenant", "name"]).execute();
        await k.schema.createTable("tenants").addColumn("id", "text", (c) => c.primaryKey()).addColumn("spec", "text", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull()).addColumn("updated_at", "text", (c) => c.notNull()).execute();
        await k.schema.createTable("run_flows").addColumn("run", "bigint", (c) => c.notNull()).addColumn("tenant", "text", (c) => c.notNull())
          .addColumn("flow", "text", (c) => c.notNull()).addColumn("started", "bigint", (c) => c.notNull()).addColumn("finished", "bigint")
          .addColumn("outcome", "text").addColumn("errors", "integer").addColumn("worker", "text").addColumn("token", "bigint")
          .addPrimaryKeyConstraint("run_flows_pkey", ["run", "flow"]).execute();
        await k.schema.createIndex("run_flows_by_flow").on("run_flows").columns(["tenant", "flow", "started"]).execute();
        await k.schema.createTable("journal").addColumn("id", id, (c) => c.primaryKey()).addColumn("tenant", "text", (c) => c.notNull())
          .addColumn("run", "bigint").addColumn("at", "text", (c) => c.notNull()).addColumn("at_ms", "bigint", (c) => c.notNull())
          .addColumn("flow", "text", (c) => c.notNull()).addColumn("customerp_id", "text").addColumn("chargebee_id", "text")
          .addColumn("side", "text", (c) => c.notNull()).addColumn("action", "text", (c) => c.notNull())
          .addColumn("method", "text").addColumn("path", "text").addColumn("params", "text").addColumn("idempotency_key", "text")
          .addColumn("status", "integer").addColumn("outcome", "text", (c) => c.notNull()).addColumn("error", "text").addColumn("version", "text")
          .addColumn("changes", "text").addColumn("undo_of", "bigint").execute();
        await k.schema.createIndex("journal_by_run").on("journal").columns(["tenant", "run"]).execute();
        await k.schema.createIndex("journal_by_customerp").on("journal").columns(["tenant", "flow", "customerp_id"]).execute();
        await k.schema.createIndex("journal_by_chargebee").on("journal").columns(["tenant", "flow", "chargebee_id"]).execute();
        await k.schema.createIndex("journal_by_time").on("journal").columns(["tenant", "at_ms"]).execute();
        // Requests a minute per Chargebee site, shared by every process that writes to it (PostgreSQL).
        await k.schema.createTable("rate_buckets").addColumn("name", "text", (c) => c.primaryKey()).addColumn("tokens", "double precision", (c) => c.notNull())
          .addColumn("updated_ms", "bigint", (c) => c.notNull()).addColumn("per_minute", "double precision", (c) => c.notNull())
          .addColumn("limit_per_minute", "double precision", (c) => c.notNull()).addColumn("limited_ms", "bigint", (c) => c.notNull().defaultTo(0))
          .addColumn("paused_until", "bigint", (c) => c.notNull().defaultTo(0)).execute();
      },
    },

    // Customerp through Sesam (src/sesam/, docs/sesam.md): the replica of the ERP's records that Sesam
    // pushes (JSON push protocol), with the state the sync wants them in; the changes Sesam pulls
    // (JSON pull protocol); placeholder ids of records the sync created, and the ERP ids they became;
    // per-tenant sequences; each receiver's active full-sync sequence.
    "003_sesam": {
      async up(k) {
        // One row per Customerp record: `record` is what the sync reads (the ERP's state with the sync's
        // own writes that the ERP has not shown yet), `erp` the baseline those writes are based on (the
        // ERP's last pushed state; for a create not yet seen in the ERP, the record as created, with
        // confirmed 0), `tags` the typed-string prefix of each value as Sesam sent it, `version` the
        // ETag, `seq` the change cursor.
        await k.schema.createTable("sesam_records").addColumn("tenant", "text", (c) => c.notNull()).addColumn("type", "text", (c) => c.notNull())
          .addColumn("id", "text", (c) => c.notNull()).addColumn("record", "text", (c) => c.notNull()).addColumn("erp", "text", (c) => c.notNull())
          .addColumn("confirmed", "integer", (c) => c.notNull()).addColumn("tags", "text", (c) => c.notNull())
          .addColumn("version", "bigint", (c) => c.notNull()).addColumn("seq", "bigint", (c) => c.notNull())
          .addColumn("origin", "text").addColumn("idempotency_key", "text").addColumn("request_hash", "text").addColumn("seen_in", "text")
          .addColumn("updated_at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("sesam_records_pkey", ["tenant", "type", "id"]).execute();
        await k.schema.createIndex("sesam_records_by_seq").on("sesam_records").columns(["tenant", "type", "seq"]).execute();
        await k.schema.createIndex("sesam_records_by_origin").on("sesam_records").columns(["tenant", "type", "origin"]).execute();
        await k.schema.createIndex("sesam_records_by_key").on("sesam_records").columns(["tenant", "type", "idempotency_key"]).execute();
        // The pull dataset: the latest version of each change entity (one per record), as Sesam reads it.
        await k.schema.createTable("sesam_changes").addColumn("tenant", "text", (c) => c.notNull()).addColumn("type", "text", (c) => c.notNull())
          .addColumn("entity_id", "text", (c) => c.notNull()).addColumn("record_id", "text", (c) => c.notNull()).addColumn("kind", "text", (c) => c.notNull())
          .addColumn("updated", "bigint", (c) => c.notNull()).addColumn("entity", "text", (c) => c.notNull()).addColumn("state", "text", (c) => c.notNull())
          .addColumn("at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("sesam_changes_pkey", ["tenant", "type", "entity_id"]).execute();
        await k.schema.createIndex("sesam_changes_by_updated").on("sesam_changes").columns(["tenant", "type", "updated"]).execute();
        await k.schema.createIndex("sesam_changes_by_record").on("sesam_changes").columns(["tenant", "type", "record_id"]).execute();
        // A placeholder id (a record the sync created) → the ERP id it was created with.
        await k.schema.createTable("sesam_moves").addColumn("tenant", "text", (c) => c.notNull()).addColumn("type", "text", (c) => c.notNull())
          .addColumn("from_id", "text", (c) => c.notNull()).addColumn("to_id", "text", (c) => c.notNull()).addColumn("at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("sesam_moves_pkey", ["tenant", "type", "from_id"]).execute();
        await k.schema.createTable("sesam_sequences").addColumn("tenant", "text", (c) => c.notNull()).addColumn("name", "text", (c) => c.notNull())
          .addColumn("value", "bigint", (c) => c.notNull()).addPrimaryKeyConstraint("sesam_sequences_pkey", ["tenant", "name"]).execute();
        // Each receiver's active full-sync sequence (JSON push protocol).
        await k.schema.createTable("sesam_push").addColumn("tenant", "text", (c) => c.notNull()).addColumn("type", "text", (c) => c.notNull())
          .addColumn("sequence_id", "text", (c) => c.notNull()).addColumn("is_full", "integer", (c) => c.notNull()).addColumn("last_request_id", "text")
          .addColumn("requests", "integer", (c) => c.notNull()).addColumn("started", "text", (c) => c.notNull()).addColumn("finished", "text")
          .addPrimaryKeyConstraint("sesam_push_pkey", ["tenant", "type"]).execute();
      },
    },

    // The links a set of Chargebee ids has, in any flow, through an index that holds the flow too. With
    // (tenant, chargebee_id) alone SQLite preferred scanning every link of the tenant in the covering
    // unique index (tenant, flow, chargebee_id): a lookup per page cost O(links), a run O(links²).
    "004_links_by_chargebee_and_flow": {
      async up(k) {
        await k.schema.dropIndex("links_t_by_chargebee").ifExists().execute();
        await k.schema.createIndex("links_t_by_chargebee_flow").on("links").columns(["tenant", "chargebee_id", "flow"]).execute();
      },
    },
  };
}

/** The migrations this host knows, in order. */
export const MIGRATIONS = ["001_first_release", "002_tenants_leases_journal", "003_sesam", "004_links_by_chargebee_and_flow"];

/** Raised when the store was written by a newer host. */
export class StoreVersionError extends Error {}

/**
 * Brings the store to this host's schema. Returns the versions before and after.
 * @param {Db} db @returns {Promise<{ from: number, to: number }>}
 */
export async function migrate(db) {
  // PostgreSQL: the migration tables of the schema this store uses (search_path), not of another one in the database.
  const schema = db.dialect === "postgres" ? String(/** @type {any} */ ((await sql`SELECT current_schema() AS s`.execute(db.k)).rows[0])?.s ?? "public") : undefined;
  const migrator = new Migrator({
    db: db.k, provider: { getMigrations: async () => migrations(db) },
    ...(schema ? { migrationTableSchema: schema, migrationLockTableSchema: schema } : {}),
  });
  const applied = (await migrator.getMigrations()).filter((m) => m.executedAt !== undefined).map((m) => m.name);
  const known = await appliedNames(db);
  const unknown = known.filter((n) => !MIGRATIONS.includes(n));
  if (unknown.length) {
    throw new StoreVersionError(`the store ${db.target} is at schema version ${known.length} (written by a newer host: ${unknown.join(", ")}); this host knows versions up to ${MIGRATIONS.length}. Use the newer host, or restore a backup this host wrote`);
  }
  const from = applied.length;
  if (from === MIGRATIONS.length) return { from, to: from };
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw new Error(`migrating the store ${db.target}${failed ? ` (${failed})` : ""} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { from, to: MIGRATIONS.length };
}

/** The migrations recorded in the store (none for a new or a first-release store). @param {Db} db @returns {Promise<string[]>} */
export async function appliedNames(db) {
  try {
    const rows = await sql`SELECT name FROM kysely_migration ORDER BY name`.execute(db.k);
    return rows.rows.map((r) => String(/** @type {any} */ (r).name));
  } catch {
    return [];
  }
}

/** Every table a tenant's state lives in (for a dry run's copy). */
export const TENANT_TABLES = ["links", "cursors", "pending", "log", "runs", "business_entities", "inbox", "holds", "kept_apart",
  "first_sync_keep", "overrides", "order_waits", "leases", "run_flows", "journal", "tenants",
  "sesam_records", "sesam_changes", "sesam_moves", "sesam_sequences", "sesam_push"];
