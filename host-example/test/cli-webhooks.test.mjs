// `bin/sync.mjs --watch --webhooks P`: a first sync, then edits on either side reach the other through
// the webhooks it serves (and subscribes at Customerp), no secret in its output, a clean stop on SIGINT.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LOCAL_API_KEY, LOCAL_TOKEN, startLocalServers } from "../src/local/servers.mjs";
import { listen, close, sleep } from "../src/lib/http.mjs";
import { testDb } from "./helpers.mjs";

const SYNC = fileURLToPath(new URL("../bin/sync.mjs", import.meta.url));

async function freePort() {
  const s = http.createServer();
  const { port } = await listen(s);
  await close(s);
  return port;
}

/** @param {() => boolean} fn @param {number} ms */
async function until(fn, ms) {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error("timed out");
    await sleep(10);
  }
}

test("bin/sync.mjs --watch --webhooks: edits reach the other side through webhooks", async () => {
  const servers = await startLocalServers({ rateLimit: { limit: 100_000, windowMs: 60_000 }, webhooks: { retryDelaysMs: [200, 400, 800], timeoutMs: 2000 } });
  const dir = mkdtempSync(join(tmpdir(), "host-example-hooks-"));
  const port = await freePort();
  const secrets = { CHARGEBEE_WEBHOOK_USER: "cb-hooks", CHARGEBEE_WEBHOOK_PASSWORD: "cli-hook-password-42", CUSTOMERP_WEBHOOK_SECRET: "cli-customerp-secret-0123456789" };
  const child = spawn(process.execPath, [SYNC, "--watch", "3600", "--webhooks", String(port)], {
    env: {
      PATH: process.env.PATH ?? "", CHARGEBEE_SITE: servers.chargebee.url, CHARGEBEE_API_KEY: LOCAL_API_KEY, CHARGEBEE_RATE_LIMIT: "100000", CUSTOMERP_URL: servers.customerp.url,
      CUSTOMERP_TOKEN: LOCAL_TOKEN, SYNC_DB: (await testDb(dir)), SYNC_TIME_ZONE: "Europe/Oslo", SYNC_OWN_COMPANY_NAME: "Fjordvik Handel AS",
      SYNC_ITEM_FAMILY_ID: "customerp-products", CUSTOMERP_WEBHOOK_URL: `http://127.0.0.1:${port}/webhooks/customerp`, ...secrets,
    },
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const exited = new Promise((r) => child.once("exit", r));
  try {
    await until(() => /totals: /.test(out), 30_000); // the first sync is done
    servers.chargebee.webhooks.addEndpoint({ url: `http://127.0.0.1:${port}/webhooks/chargebee`, username: "cb-hooks", password: "cli-hook-password-42" });
    const contact = servers.customerp.db.tables.get("contacts")?.get("1")?.record;
    const cbId = [...servers.chargebee.site.tables.customer.values()].map((e) => e.data).find((c) => c.email === contact?.email)?.id;
    assert.ok(cbId, "contact 1 has its Chargebee customer");
    servers.customerp.db.update("contacts", "1", { phone: "+47 999 11 222" }, undefined);
    await until(() => servers.chargebee.site.tables.customer.get(cbId)?.data.phone === "+47 999 11 222", 10_000);
    const res = await fetch(`${servers.chargebee.url}/api/v2/customers/${cbId}`, {
      method: "POST", body: "first_name=%C3%85sa",
      headers: { authorization: "Basic " + Buffer.from(`${LOCAL_API_KEY}:`).toString("base64"), "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(res.status, 200);
    await until(() => servers.customerp.db.tables.get("contacts")?.get("1")?.record.first_name === "Åsa", 10_000);
    assert.match(out, /webhooks +http:\/\/127\.0\.0\.1:\d+\/webhooks\/chargebee/);
    assert.match(out, /webhooks: \d+ record\(s\) in [^\n]*contact-customer[^\n]* → [1-9]\d* write\(s\)/);
    child.kill("SIGINT");
    assert.equal(await exited, 0);
    for (const s of [...Object.values(secrets), LOCAL_API_KEY, LOCAL_TOKEN]) assert.ok(!out.includes(s), "no secret in the output");
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    await servers.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
