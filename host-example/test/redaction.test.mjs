// Secrets never reach output or the store, even when an upstream echoes the credentials it was sent.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LOCAL_API_KEY, LOCAL_TOKEN, startLocalServers } from "../src/local/servers.mjs";
import { addSecret, redact, redactValue } from "../src/app/redact.mjs";
import { withoutCredentials } from "../src/app/clients/chargebee.mjs";
import { close, listen, readBody } from "../src/lib/http.mjs";
import { testDb, dumpStore, PG } from "./helpers.mjs";
import { Store } from "../src/app/store/store.mjs";
import { Journal } from "../src/app/journal.mjs";
import { ChargebeeClient } from "../src/app/clients/chargebee.mjs";

const SYNC = fileURLToPath(new URL("../bin/sync.mjs", import.meta.url));

test("the redactor removes a secret in every form it travels in, and credentials in URLs", () => {
  const key = "test_Zq9dQ3Lk7sWx2Cb8";
  addSecret(key);
  const basic = Buffer.from(`${key}:`).toString("base64");
  for (const text of [
    `key ${key} here`, `Authorization: Basic ${basic}`, `basic=${basic.replace(/=+$/, "")}`, `q=${encodeURIComponent(key)}`,
    JSON.stringify({ message: `got "${key}"` }),
  ]) {
    const out = redact(text);
    assert.ok(!out.includes(key) && !out.includes(basic) && !out.includes(basic.replace(/=+$/, "")), out);
    assert.match(out, /\[redacted\]/);
  }
  assert.equal(redact("GET https://ops:hunter22@erp.example.com/api failed"), "GET https://[redacted]@erp.example.com/api failed");
  assert.equal(redact('{"authorization": "Bearer abc.def-ghi"}'), '{"authorization": "Bearer [redacted]"}');
  assert.equal(withoutCredentials("https://ops:hunter22@erp.example.com/api"), "https://erp.example.com/api");
  assert.deepEqual(redactValue({ a: [`x ${key}`], n: 1, ok: true }), { a: ["x [redacted]"], n: 1, ok: true });
  // Ordinary text is left alone: an e-mail address in a path, Åse's name, a URL without credentials.
  for (const text of ["https://erp.example.com/users/ase@example.no", "Åse Ødegård", "mailto:ase@example.no"]) assert.equal(redact(text), text);
});

/**
 * A proxy in front of a local server that answers writes with an error echoing the request's headers, as a
 * misconfigured gateway might: every write, or every `every`-th (the others go through).
 * @param {string} target @param {number} [every]
 */
async function echoingProxy(target, every = 1) {
  let n = 0;
  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    if (req.method !== "GET" && ++n % every === 0) {
      const echo = `rejected; you sent authorization=${req.headers.authorization} to ${req.url}`;
      res.writeHead(400, { "content-type": "application/json" });
      return res.end(JSON.stringify({ message: echo, api_error_code: "invalid_request", type: "invalid_request", error: { code: "rejected", message: echo } }));
    }
    const up = await fetch(`${target}${req.url}`, { method: req.method, headers: /** @type {Record<string, string>} */ (req.headers), body: body || undefined });
    res.writeHead(up.status, { "content-type": up.headers.get("content-type") ?? "application/json" });
    res.end(await up.text());
  });
  const { origin } = await listen(server);
  return { origin, close: () => close(server) };
}

test("a server echoing the auth header: neither the key (plain or base64) nor the token reaches stdout, stderr or any stored row", async () => {
  const servers = await startLocalServers({ rateLimit: { limit: 100_000, windowMs: 60_000 } });
  const cb = await echoingProxy(new URL(servers.chargebee.url).origin);
  const cp = await echoingProxy(new URL(servers.customerp.url).origin);
  const dir = mkdtempSync(join(tmpdir(), "host-example-redaction-"));
  try {
    const cbPath = new URL(servers.chargebee.url).pathname;
    const cpUrl = new URL(servers.customerp.url);
    const db = (await testDb(dir));
    const env = {
      PATH: process.env.PATH ?? "",
      CHARGEBEE_SITE: `${cb.origin}${cbPath}`, CHARGEBEE_API_KEY: LOCAL_API_KEY, CHARGEBEE_RATE_LIMIT: "100000",
      // The token also written into the URL, as people do: it must not be printed either.
      CUSTOMERP_URL: `http://sync:${LOCAL_TOKEN}@${new URL(cp.origin).host}${cpUrl.pathname}`, CUSTOMERP_TOKEN: LOCAL_TOKEN,
      SYNC_DB: db, SYNC_TIME_ZONE: "Europe/Oslo", SYNC_OWN_COMPANY_NAME: "Fjordvik Handel AS", SYNC_ITEM_FAMILY_ID: "customerp-products",
    };
    const out = await new Promise((resolve) => {
      execFile(process.execPath, [SYNC], { env, timeout: 120_000 }, (err, stdout, stderr) => resolve({ code: err?.code ?? 0, stdout, stderr }));
    });
    const { stdout, stderr } = /** @type {any} */ (out);
    const basic = Buffer.from(`${LOCAL_API_KEY}:`).toString("base64");
    const forbidden = [LOCAL_API_KEY, basic, basic.replace(/=+$/, ""), LOCAL_TOKEN];
    const text = `${stdout}\n${stderr}`;
    assert.match(text, /\[redacted\]/, "the echoed credentials were there to remove");
    for (const f of forbidden) assert.ok(!text.includes(f), `output carries ${f}:\n${text}`);
    assert.doesNotMatch(text, /sync:[^@\s]*@/);
    // Every text cell of every table, and the file's bytes as a whole.
    const store = await Store.open(db);
    let rows = 0;
    for (const [name, cells] of Object.entries(await dumpStore(store))) {
      for (const row of cells) {
        rows++;
        for (const f of forbidden) assert.ok(!String(row).includes(f), `${name} row carries a secret: ${row}`);
      }
    }
    await store.close();
    assert.ok(rows > 0);
    if (!PG) {
      const bytes = readFileSync(db).toString("latin1");
      for (const f of forbidden) assert.ok(!bytes.includes(f), "the store file carries a secret");
    }
  } finally {
    await cb.close();
    await cp.close();
    await servers.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the journal through an echoing proxy: every write of a run on record, sent and refused, and no secret in it, nor in history", { timeout: 180_000 }, async () => {
  const servers = await startLocalServers({ rateLimit: { limit: 100_000, windowMs: 60_000 } });
  // Every third write is refused with the credentials echoed; the others reach the servers and are journaled as sent.
  const cb = await echoingProxy(new URL(servers.chargebee.url).origin, 3);
  const cp = await echoingProxy(new URL(servers.customerp.url).origin, 3);
  const dir = mkdtempSync(join(tmpdir(), "host-example-journal-redaction-"));
  try {
    // Secrets in the data too, as a careless edit might put them: the Customerp token in a contact's last name,
    // the Chargebee key in a customer's first name. Both are copied across, so both are in requests the journal keeps.
    servers.customerp.db.update("contacts", "1", { last_name: `Ødegård ${LOCAL_TOKEN}` }, undefined);
    await new ChargebeeClient({ site: servers.chargebee.url, apiKey: LOCAL_API_KEY }).send("POST", "/customers/AzZj2gUbTA1c5dN3", { first_name: `François ${LOCAL_API_KEY}` });
    const cbPath = new URL(servers.chargebee.url).pathname;
    const db = await testDb(dir);
    const env = {
      PATH: process.env.PATH ?? "", CHARGEBEE_SITE: `${cb.origin}${cbPath}`, CHARGEBEE_API_KEY: LOCAL_API_KEY, CHARGEBEE_RATE_LIMIT: "100000",
      CUSTOMERP_URL: `${cp.origin}${new URL(servers.customerp.url).pathname}`, CUSTOMERP_TOKEN: LOCAL_TOKEN, SYNC_DB: db,
      SYNC_TIME_ZONE: "Europe/Oslo", SYNC_OWN_COMPANY_NAME: "Fjordvik Handel AS", SYNC_ITEM_FAMILY_ID: "customerp-products",
    };
    const cli = (/** @type {string[]} */ args) => new Promise((resolve) => {
      execFile(process.execPath, [SYNC, ...args], { env, timeout: 120_000 }, (err, stdout, stderr) => resolve({ code: err?.code ?? 0, stdout, stderr }));
    });
    const run = /** @type {any} */ (await cli(["run"]));
    const basic = Buffer.from(`${LOCAL_API_KEY}:`).toString("base64");
    const forbidden = [LOCAL_API_KEY, basic, basic.replace(/=+$/, ""), LOCAL_TOKEN];
    const history = /** @type {any} */ (await cli(["history", "contact-customer", "customerp:1", "--json"]));
    const other = /** @type {any} */ (await cli(["history", "contact-customer", "customerp:7"]));
    assert.equal(history.code, 0, history.stderr);
    for (const out of [run, history, other]) {
      const text = `${out.stdout}\n${out.stderr}`;
      for (const f of forbidden) assert.ok(!text.includes(f), `output carries ${f}:\n${text}`);
    }
    assert.match(history.stdout, /\[redacted\]/, "the secret in the contact's name was there, and is redacted");

    const store = await Store.open(db);
    try {
      const rows = await new Journal(store).ofRun(1);
      const outcomes = new Set(rows.map((r) => r.outcome));
      assert.ok(outcomes.has("ok") && outcomes.has("failed"), `writes sent and refused are journaled: ${[...outcomes]}`);
      assert.ok(rows.some((r) => r.outcome === "failed" && /\[redacted\]/.test(String(r.error))), "a refusal echoing the credentials, redacted");
      assert.ok(rows.some((r) => JSON.stringify(r.params).includes("[redacted]")), "a request carrying a secret, redacted");
      let cells = 0;
      for (const [name, table] of Object.entries(await dumpStore(store))) {
        for (const row of table) {
          cells++;
          for (const f of forbidden) assert.ok(!String(row).includes(f), `${name} row carries a secret: ${row}`);
        }
      }
      assert.ok(cells > 0);
    } finally {
      await store.close();
    }
    if (!PG) {
      const bytes = readFileSync(db).toString("latin1");
      for (const f of forbidden) assert.ok(!bytes.includes(f), "the store file carries a secret");
    }
  } finally {
    await cb.close();
    await cp.close();
    await servers.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
