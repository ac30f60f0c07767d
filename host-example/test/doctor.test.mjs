// `sync.mjs doctor` through the real CLI against the local servers: a healthy site passes, each thing a first
// sync would trip over fails or warns in its own check with what to do, nothing is written to either system, and
// no secret is printed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO_OPTIONS, LOCAL_API_KEY, LOCAL_TOKEN, startLocalServers } from "../src/local/servers.mjs";
import { testDb } from "./helpers.mjs";
import { Store } from "../src/app/store/store.mjs";
import { acquireLock } from "../src/app/lock.mjs";

const SYNC = fileURLToPath(new URL("../bin/sync.mjs", import.meta.url));

/** @param {string[]} args @param {Record<string, string>} env @returns {Promise<{ code: number, stdout: string, stderr: string }>} */
function sync(args, env) {
  return new Promise((resolve) => {
    execFile(process.execPath, [SYNC, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });
}

/**
 * Doctor against fresh local servers: `site` their settings, `env` over the demo's environment. Returns the
 * JSON report, the text report, and what each server was asked.
 * @param {{ site?: Parameters<typeof startLocalServers>[0], env?: (s: import("../src/local/servers.mjs").LocalServers) => Record<string, string>,
 *   prepare?: (s: import("../src/local/servers.mjs").LocalServers) => Promise<void>, db?: (db: string) => Promise<() => Promise<void>> }} [o]
 *   prepare: changes the servers' data before doctor runs (their request counts start again after it); db: does something to
 *   the store before doctor runs, and returns what undoes it
 */
async function doctor(o = {}) {
  const servers = await startLocalServers({ rateLimit: { limit: 100_000, windowMs: 60_000 }, ...o.site });
  const dir = mkdtempSync(join(tmpdir(), "host-example-doctor-"));
  try {
    if (o.prepare) {
      await o.prepare(servers);
      servers.chargebee.resetStats();
      servers.customerp.resetStats();
    }
    const db = await testDb(dir);
    const undo = o.db ? await o.db(db) : null;
    const env = {
      CHARGEBEE_SITE: servers.chargebee.url, CHARGEBEE_API_KEY: LOCAL_API_KEY, CUSTOMERP_URL: servers.customerp.url, CUSTOMERP_TOKEN: LOCAL_TOKEN,
      SYNC_DB: db, SYNC_OPTIONS: JSON.stringify(DEMO_OPTIONS), SYNC_ORDERS: "chargebee", ...o.env?.(servers),
    };
    const json = await sync(["doctor", "--json"], env);
    const text = await sync(["doctor"], env);
    await undo?.();
    /** @type {import("../src/app/actions/doctor.mjs").DoctorReport} */
    const report = JSON.parse(json.stdout);
    const check = (/** @type {string} */ id) => {
      const c = report.checks.find((x) => x.id === id);
      assert.ok(c, `a check ${id} in ${report.checks.map((x) => x.id).join(", ")}`);
      return c;
    };
    for (const out of [json.stdout, json.stderr, text.stdout, text.stderr]) {
      assert.ok(!out.includes(LOCAL_API_KEY) && !out.includes(LOCAL_TOKEN), "no secret in the output");
    }
    assert.equal(text.code, json.code, "the same exit code with and without --json");
    return { report, json, text, check, writes: { chargebee: servers.chargebee.stats.writes, customerp: servers.customerp.stats.writes } };
  } finally {
    await servers.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test("doctor on a healthy site: every check ok or warn, exit 0, and neither system is written", async () => {
  const { report, json, text, check, writes } = await doctor();
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(writes, { chargebee: 0, customerp: 0 }, "doctor sends no write");
  assert.deepEqual(report.requests.chargebee.writes + report.requests.customerp.writes, 0);
  assert.deepEqual(report.summary.failed, []);
  for (const id of ["chargebee-credentials", "product-catalog", "customerp-credentials", "customerp-contract", "currencies", "item-family", "order-generation", "rate-limit", "store"]) {
    assert.equal(check(id).status, "ok", `${id}: ${check(id).found}`);
  }
  assert.match(check("currencies").found, /Customerp uses EUR, GBP, JPY, NOK, USD/);
  assert.match(check("order-generation").found, /generates orders \(order \d+, [\d-]+, is system_generated\), and orders: "chargebee" adopts them/);
  // The demo site has no customer with cf_segment set: it cannot be confirmed, and doctor says so.
  const segment = check("custom-field cf_segment");
  assert.equal(segment.status, "warn");
  assert.match(segment.found, /cannot be checked/);
  assert.match(/** @type {string} */ (segment.advice), /Custom fields/);
  // Three Customerp customers have no business entity of their name: manual items at the first run.
  assert.equal(check("business-entities").status, "warn");
  assert.match(check("business-entities").found, /3 business entities on the site, 5 customers in Customerp, 3 without an entity/);
  assert.match(/** @type {string} */ (check("business-entities").advice), /manual inbox item/);
  // the --json shape: every check has these keys, every warning and failure says what to do
  for (const c of report.checks) {
    assert.deepEqual(Object.keys(c).filter((k) => k !== "advice"), ["id", "title", "status", "found"]);
    assert.ok(["ok", "warn", "fail", "skip"].includes(c.status));
    if (c.status === "warn" || c.status === "fail") assert.ok(c.advice, `${c.id} says what to do`);
  }
  assert.deepEqual(Object.keys(report.summary), ["ok", "warn", "fail", "skip", "failed"]);
  assert.equal(report.summary.ok + report.summary.warn + report.summary.fail + report.summary.skip, report.checks.length);
  assert.match(text.stdout, /^ {2}ok {4}product-catalog: product_catalog_version v2/m);
  assert.match(text.stdout, /^ {2}WARN {2}business-entities: .*\n {8}→ each becomes a manual inbox item/m);
  assert.match(text.stdout, /requests sent: Chargebee \d+ reads, 0 writes · Customerp \d+ reads, 0 writes/);
});

test("doctor fails a Product Catalog 1.0 site", async () => {
  const { json, text, check, writes } = await doctor({ site: { productCatalogVersion: "v1" } });
  assert.equal(json.code, 1);
  assert.equal(check("product-catalog").status, "fail");
  assert.match(check("product-catalog").found, /product_catalog_version v1/);
  assert.match(/** @type {string} */ (check("product-catalog").advice), /Product Catalog 2\.0/);
  assert.match(json.stderr, /failed: product-catalog/);
  assert.match(text.stdout, /^ {2}FAIL {2}product-catalog:/m);
  assert.match(text.stdout, /1 failed · \d+ skipped: product-catalog/);
  assert.deepEqual(writes, { chargebee: 0, customerp: 0 });
});

test("doctor fails the currencies the site lacks, and a site with one currency when Customerp uses several", async () => {
  const missing = await doctor({ site: { currencies: { enabled: ["USD", "EUR", "NOK", "GBP"] } } });
  assert.equal(missing.json.code, 1);
  const c = missing.check("currencies");
  assert.equal(c.status, "fail");
  assert.match(c.found, /the site lacks JPY \(products, orders\); it bills in USD, EUR, NOK, GBP/);
  assert.match(/** @type {string} */ (c.advice), /add JPY in Settings › Configure Chargebee › Currencies/);
  assert.deepEqual(missing.report.summary.failed, ["currencies"]);

  const single = await doctor({ site: { currencies: { multiCurrency: false } } });
  assert.equal(single.json.code, 1);
  assert.match(single.check("currencies").found, /multi-currency off \(one currency\) and Customerp uses EUR, GBP, JPY, NOK, USD/);
});

test("doctor warns of a custom field no record confirms, and confirms one a record has", async () => {
  const mappings = {
    "contact-customer": [{ customerp: "tier", chargebee: "cf_account_tier", type: "string" }, { customerp: "region", chargebee: "cf_region", type: "string" }],
  };
  const { json, check } = await doctor({ env: () => ({ SYNC_OPTIONS: JSON.stringify({ ...DEMO_OPTIONS, mappings }) }) });
  assert.equal(check("custom-field cf_account_tier").status, "ok");
  assert.match(check("custom-field cf_account_tier").found, /customer AzZiyeUbT8kq3bN1 has a value for cf_account_tier/);
  assert.equal(check("custom-field cf_region").status, "warn");
  assert.match(check("custom-field cf_region").found, /cannot be checked: none of the \d+ customer records read has a value for cf_region/);
  assert.equal(json.code, 0, "a warning is not a failure");
});

test("doctor fails more Customerp customers than a site's 30 business entities", async () => {
  const { json, check, writes } = await doctor({
    async prepare(servers) {
      for (let i = 1; i <= 26; i++) {
        const res = await fetch(`${servers.customerp.url}/api/customers`, {
          method: "POST", headers: { authorization: `Bearer ${LOCAL_TOKEN}`, "content-type": "application/json", "idempotency-key": `doctor-${i}` },
          body: JSON.stringify({ name: `Extra Customer ${i} AS`, is_active: true }),
        });
        assert.equal(res.status, 201, await res.text());
      }
    },
  });
  assert.equal(json.code, 1);
  assert.equal(check("business-entities").status, "fail");
  assert.match(check("business-entities").found, /31 customers in Customerp, 29 without an entity of their name: a site holds at most 30 business entities/);
  assert.match(/** @type {string} */ (check("business-entities").advice), /customer-business_entity/);
  assert.deepEqual(writes, { chargebee: 0, customerp: 0 }, "doctor itself wrote nothing");
});

test("doctor fails an item family the site lacks", async () => {
  const { json, check } = await doctor({ env: () => ({ SYNC_ITEM_FAMILY_ID: "no-such-family" }) });
  assert.equal(json.code, 1);
  assert.equal(check("item-family").status, "fail");
  assert.match(check("item-family").found, /the site has no item family "no-such-family"/);
});

test("doctor fails orders \"create\" on a site that generates orders", async () => {
  const { json, check } = await doctor({ env: () => ({ SYNC_ORDERS: "create" }) });
  assert.equal(json.code, 1);
  assert.equal(check("order-generation").status, "fail");
  assert.match(/** @type {string} */ (check("order-generation").advice), /SYNC_ORDERS=chargebee/);
});

test("doctor fails a wrong Chargebee key without printing it, and skips what needs the site", async () => {
  const wrong = "test_wrong_key_for_doctor_0001";
  const { json, text, check } = await doctor({ env: () => ({ CHARGEBEE_API_KEY: wrong }) });
  assert.equal(json.code, 1);
  assert.equal(check("chargebee-credentials").status, "fail");
  assert.match(check("chargebee-credentials").found, /refused the API key \(401\)/);
  assert.match(/** @type {string} */ (check("chargebee-credentials").advice), /CHARGEBEE_API_KEY/);
  for (const id of ["product-catalog", "currencies", "item-family", "business-entities", "order-generation"]) assert.equal(check(id).status, "skip", id);
  assert.equal(check("customerp-credentials").status, "ok", "Customerp is still checked");
  assert.ok(!`${json.stdout}${json.stderr}${text.stdout}${text.stderr}`.includes(wrong), "the wrong key is not printed either");
});

test("doctor fails an unreachable Customerp and a refused token", async () => {
  // a port that was free a moment ago: nothing listens there
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = /** @type {import("node:net").AddressInfo} */ (s.address()).port;
      s.close(() => resolve(p));
    });
  });
  const gone = await doctor({ env: () => ({ CUSTOMERP_URL: `http://127.0.0.1:${port}` }) });
  assert.equal(gone.json.code, 1);
  assert.equal(gone.check("customerp-credentials").status, "fail");
  assert.match(gone.check("customerp-credentials").found, /cannot be reached/);
  assert.match(/** @type {string} */ (gone.check("customerp-credentials").advice), /CUSTOMERP_URL/);
  assert.equal(gone.check("customerp-contract").status, "skip");
  assert.equal(gone.check("product-catalog").status, "ok", "Chargebee is still checked");

  const refused = await doctor({ env: () => ({ CUSTOMERP_TOKEN: "not-the-local-token" }) });
  assert.equal(refused.check("customerp-credentials").status, "fail");
  assert.match(refused.check("customerp-credentials").found, /refused the token \(401\)/);
  assert.ok(!refused.json.stdout.includes("not-the-local-token"));
});

test("doctor --tenant checks a tenant's site and connector, with its secrets from the variables it names", async () => {
  const servers = await startLocalServers({ rateLimit: { limit: 100_000, windowMs: 60_000 } });
  const dir = mkdtempSync(join(tmpdir(), "host-example-doctor-"));
  try {
    const env = { SYNC_DB: await testDb(dir) };
    const added = await sync(["tenant", "add", "acme", "--chargebee-site", servers.chargebee.url, "--chargebee-key-env", "ACME_CB_KEY",
      "--customerp-url", servers.customerp.url, "--customerp-token-env", "ACME_CP_TOKEN",
      "--options", JSON.stringify({ timeZone: "Europe/Oslo", itemFamilyId: "no-such-family", orders: "chargebee" })], env);
    assert.equal(added.code, 0, added.stderr);
    const r = await sync(["doctor", "--json", "--tenant", "acme"], { ...env, ACME_CB_KEY: LOCAL_API_KEY, ACME_CP_TOKEN: LOCAL_TOKEN });
    assert.equal(r.code, 1, r.stderr);
    /** @type {import("../src/app/actions/doctor.mjs").DoctorReport} */
    const report = JSON.parse(r.stdout);
    assert.deepEqual(report.summary.failed, ["item-family"], "the tenant's own options are checked");
    assert.equal(report.checks.find((c) => c.id === "chargebee-credentials")?.status, "ok");
    assert.ok(!`${r.stdout}${r.stderr}`.includes(LOCAL_API_KEY) && !`${r.stdout}${r.stderr}`.includes(LOCAL_TOKEN));
    assert.equal(servers.chargebee.stats.writes + servers.customerp.stats.writes, 0);
  } finally {
    await servers.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("doctor through Sesam reads Customerp's replica in the store and skips the connector's checks", async () => {
  const { json, check, writes } = await doctor({ env: () => ({ CUSTOMERP_SOURCE: "sesam", CUSTOMERP_URL: "", CUSTOMERP_TOKEN: "" }) });
  assert.equal(json.code, 0, json.stderr);
  assert.equal(check("customerp-credentials").status, "skip");
  assert.match(check("customerp-credentials").found, /through Sesam/);
  assert.equal(check("customerp-contract").status, "skip");
  // an empty replica: nothing to compare yet, and nothing wrong
  assert.equal(check("currencies").status, "ok");
  assert.match(check("currencies").found, /name no currency yet/);
  assert.equal(check("business-entities").status, "ok");
  assert.deepEqual(writes, { chargebee: 0, customerp: 0 });
});

test("doctor warns of a store a run holds, naming the holder", async () => {
  const { json, check } = await doctor({
    async db(target) {
      const store = await Store.open(target);
      const release = await acquireLock(store, { flows: ["contact-customer"] });
      return async () => {
        await release();
        await store.close();
      };
    },
  });
  assert.equal(json.code, 0, "a held lock is a warning: the next run waits or exits 4");
  assert.equal(check("store").status, "warn");
  assert.match(check("store").found, new RegExp(`locked by pid ${process.pid} on \\S+ since \\S+ \\(contact-customer\\)`));
  assert.match(/** @type {string} */ (check("store").advice), /--wait S/);
});

test("doctor warns when the site answered 429 to its own reads", async () => {
  // two requests a second: doctor's reads meet the limit, wait and get through
  const { json, check } = await doctor({ site: { rateLimit: { limit: 2, windowMs: 1000 } } });
  assert.equal(json.code, 0, json.stderr);
  assert.equal(check("rate-limit").status, "warn");
  assert.match(check("rate-limit").found, /the site answered 429 to \d+ of \d+ requests, paced at 150 a minute/);
  assert.match(/** @type {string} */ (check("rate-limit").advice), /CHARGEBEE_RATE_LIMIT/);
  assert.equal(check("product-catalog").status, "ok", "the reads still got through");
});

test("doctor --help says what it checks", async () => {
  const help = await sync(["doctor", "--help"], {});
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: node bin\/sync\.mjs doctor \[--json\]/);
  assert.match(help.stdout, /writes nothing to either system/);
});
