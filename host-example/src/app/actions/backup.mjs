// `backup FILE`: an online, consistent copy of the store while runs go on. SQLite: the backup API of
// better-sqlite3 (pages copied under the database's own locking, a WAL file included), into a store file
// of its own. PostgreSQL: pg_dump's custom format (one consistent snapshot), the password given to it
// through its environment, never on its command line.
import { execFile } from "node:child_process";
import { statSync } from "node:fs";
import { UsageError } from "../errors.mjs";
import { appliedNames } from "../store/schema.mjs";

/**
 * @param {import("../store/store.mjs").Store} store @param {string} file
 * @returns {Promise<{ file: string, bytes: number, version: number, tool?: string }>}
 */
export async function backupStore(store, file) {
  if (!file) throw new UsageError("backup needs a file to write");
  const version = (await appliedNames(store.db)).length;
  if (store.db.sqlite) {
    if (store.path === ":memory:") throw new UsageError("the store is in memory: nothing to back up");
    await store.db.sqlite.backup(file);
    return { file, bytes: statSync(file).size, version };
  }
  const url = new URL(/** @type {string} */ (store.db.url));
  const password = decodeURIComponent(url.password);
  url.password = "";
  const env = { ...process.env, PGPASSWORD: password };
  // A search_path given in the URL's options (a store in a schema of its own) names the schema to dump.
  const schema = /search_path=([A-Za-z0-9_]+)/.exec(decodeURIComponent(url.searchParams.get("options") ?? ""))?.[1];
  url.searchParams.delete("options");
  const args = ["--format=custom", "--no-owner", `--file=${file}`, ...(schema ? [`--schema=${schema}`] : []), `--dbname=${url.toString()}`];
  await new Promise((resolve, reject) => {
    execFile("pg_dump", args, { env, timeout: 3_600_000 }, (err, _out, stderr) => {
      if (err) reject(new Error(`pg_dump failed: ${/** @type {any} */ (err).code === "ENOENT" ? "pg_dump is not installed (Debian: postgresql-client)" : String(stderr).trim() || err.message}`));
      else resolve(undefined);
    });
  });
  return { file, bytes: statSync(file).size, version, tool: "pg_dump, custom format" };
}
