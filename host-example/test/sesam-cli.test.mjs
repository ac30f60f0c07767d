// `sync.mjs sesam` and CUSTOMERP_SOURCE=sesam from the command line: the endpoints served from the
// store in SYNC_DB, a run, a dry run, the inbox and explain on what Sesam pushed; the token required and
// never printed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startChargebeeEmulator } from "../src/local/chargebee-emulator/server.mjs";
import { seedChargebee } from "../src/local/demo-data.mjs";
import { LOCAL_API_KEY } from "../src/local/servers.mjs";
import { SesamProtocolClient } from "../src/sesam/client.mjs";
import { Store } from "../src/app/store/store.mjs";
import { ErpBehindSesam, TYPES } from "../src/sesam/local.mjs";
import { dumpStore, testDb } from "./helpers.mjs";

const SYNC = fileURLToPath(new URL("../bin/sync.mjs", import.meta.url));
const TOKEN = "cli-sesam-token-0123456789abcdef";

/** @param {string[]} args @param {Record<string, string>} env @returns {Promise<{ code: number, stdout: string, stderr: string }>} */
function cli(args, env) {
  return new Promise((resolve) => {
    execFile(process.execPath, [SYNC, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });
}

test("sync.mjs sesam serves the endpoints from SYNC_DB; a run with CUSTOMERP_SOURCE=sesam syncs what Sesam pushed; dry run, inbox and explain work on it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "host-example-sesam-"));
  const chargebee = await startChargebeeEmulator({ apiKey: LOCAL_API_KEY, seed: seedChargebee });
  const base = { SYNC_DB: await testDb(dir), SYNC_TIME_ZONE: "Europe/Oslo", SYNC_OWN_COMPANY_NAME: "Fjordvik Handel AS", SYNC_ITEM_FAMILY_ID: "customerp-products" };
  const env = { ...base, CUSTOMERP_SOURCE: "sesam", CHARGEBEE_SITE: chargebee.url, CHARGEBEE_API_KEY: LOCAL_API_KEY };
  /** @type {import("node:child_process").ChildProcess | null} */
  let child = null;
  try {
    const none = await cli(["sesam", "--port", "0"], base);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /set SESAM_TOKEN \(at least 16 characters\)/);
    assert.equal((await cli(["sesam", "--port", "0"], { ...base, SESAM_TOKEN: "short" })).code, 2);
    const bad = await cli(["run"], { ...env, CUSTOMERP_SOURCE: "soap" });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /CUSTOMERP_SOURCE must be rest .* or sesam/);

    const proc = spawn(process.execPath, [SYNC, "sesam", "--port", "0"], { env: { PATH: process.env.PATH ?? "", ...base, SESAM_TOKEN: TOKEN } });
    child = proc;
    let output = "";
    proc.stderr.on("data", (c) => (output += c));
    const url = await new Promise((resolve, reject) => {
      proc.stdout.on("data", (c) => {
        output += c;
        const m = /sesam\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (m) resolve(m[1]);
      });
      proc.on("exit", (code) => reject(new Error(`sync.mjs sesam exited ${code}: ${output}`)));
    });
    assert.equal((await fetch(`${url}/datasets/customerp-contacts-changes/entities`)).status, 401);
    const sesam = new SesamProtocolClient({ url, token: TOKEN });
    const erp = new ErpBehindSesam();
    for (const type of TYPES) {
      const answers = await sesam.fullSync(`/receivers/customerp-${type}/entities`, erp.collect(type), { batchSize: 4 });
      assert.ok(answers.every((a) => a.status === 200), JSON.stringify(answers));
    }

    const dryBefore = await (async () => {
      const s = await Store.open(env.SYNC_DB);
      try {
        return await dumpStore(s);
      } finally {
        await s.close();
      }
    })();
    const dry = await cli(["run", "--dry-run"], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /Customerp {2}through Sesam: the replica in the store \(CUSTOMERP_SOURCE=sesam, namespace "customerp-\{type\}:"\)/);
    assert.match(dry.stdout, /contact-customer +customerp create +customerp \(new\) +POST \/api\/contacts/);
    const s = await Store.open(env.SYNC_DB);
    try {
      const after = await dumpStore(s);
      for (const table of Object.keys(after)) if (table !== "runs") assert.deepEqual(after[table], dryBefore[table], table);
    } finally {
      await s.close();
    }

    const run = await cli(["run"], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /contact-customer +read 9\/9 · matched 2 · created 3\/4/);
    const changes = await sesam.get("/datasets/customerp-contacts-changes/entities");
    assert.equal(changes.entities.filter((e) => e.sesam_change === "create").length, 3);
    const inbox = await cli(["inbox"], env);
    assert.match(inbox.stdout, /ambiguous +open +contact-customer +8,9/);
    const explain = await cli(["explain", "contact-customer", "customerp:2"], env);
    assert.equal(explain.code, 0, explain.stderr);
    assert.match(explain.stdout, /contact-customer: Customerp 2 ⇄ Chargebee/);
    for (const text of [run.stdout, run.stderr, dry.stdout, inbox.stdout, explain.stdout, output]) assert.doesNotMatch(text, new RegExp(TOKEN));
    assert.match(output, /push customerp-contacts: full sync "[^"]+" request "1" \(first\): 4 received: 4 new$/m);

    proc.kill("SIGTERM");
    const code = await new Promise((resolve) => proc.on("exit", resolve));
    child = null;
    assert.equal(code, 0);
    assert.match(output, /stopping/);
  } finally {
    child?.kill("SIGKILL");
    await chargebee.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the local trial (node src/sesam/trial.mjs) ends with a run that writes nothing, and prints no token", async () => {
  const trial = fileURLToPath(new URL("../src/sesam/trial.mjs", import.meta.url));
  const r = await new Promise((resolve) => {
    execFile(process.execPath, [trial], { env: { PATH: process.env.PATH ?? "" }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });
  const { code, stdout, stderr } = /** @type {{ code: number, stdout: string, stderr: string }} */ (r);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /Run 5 sent no writes/);
  assert.match(stdout, /bearer token: set, not shown/);
  assert.doesNotMatch(stdout, /[0-9a-f]{48}/, "the trial's token (48 hex digits) is not printed");
});
