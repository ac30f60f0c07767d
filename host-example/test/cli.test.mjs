// The commands a person runs: the one-shot sync against endpoints from the environment, and the demo.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LOCAL_API_KEY, LOCAL_TOKEN, startLocalServers } from "../src/local/servers.mjs";
import { demo } from "../src/local/demo.mjs";
import { writesOf } from "../src/app/report.mjs";
import { testDb } from "./helpers.mjs";

const SYNC = fileURLToPath(new URL("../bin/sync.mjs", import.meta.url));

/** @param {Record<string, string>} env @returns {Promise<{ code: number, stdout: string, stderr: string }>} */
function runSync(env) {
  return new Promise((resolve) => {
    execFile(process.execPath, [SYNC], { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });
}

test("bin/sync.mjs syncs once against the endpoints in the environment and prints no secret", async () => {
  const servers = await startLocalServers({ rateLimit: { limit: 100_000, windowMs: 60_000 } });
  const dir = mkdtempSync(join(tmpdir(), "host-example-cli-"));
  try {
    const env = {
      CHARGEBEE_SITE: servers.chargebee.url, CHARGEBEE_API_KEY: LOCAL_API_KEY, CHARGEBEE_RATE_LIMIT: "100000", CUSTOMERP_URL: servers.customerp.url,
      CUSTOMERP_TOKEN: LOCAL_TOKEN, SYNC_DB: (await testDb(dir)), SYNC_TIME_ZONE: "Europe/Oslo",
      SYNC_OWN_COMPANY_NAME: "Fjordvik Handel AS", SYNC_ITEM_FAMILY_ID: "customerp-products",
    };
    const first = await runSync(env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /contact-customer +read 9\/9/);
    assert.match(first.stdout, /requests sent: Customerp \d+ reads, \d+ writes/);
    const second = await runSync(env);
    assert.match(second.stdout, /Customerp \d+ reads, 0 writes · Chargebee \d+ reads, 0 writes/, "the store file carries links and cursors over");
    for (const out of [first.stdout, first.stderr, second.stdout]) {
      assert.ok(!out.includes(LOCAL_API_KEY) && !out.includes(LOCAL_TOKEN), "no secret in the output");
    }

    const bad = await runSync({ ...env, CHARGEBEE_API_KEY: "test_bad_key_0000", SYNC_DB: (await testDb(dir, "other.sqlite")) });
    assert.equal(bad.code, 5, "refused credentials: exit 5");
    assert.match(bad.stderr, /sync failed: Chargebee refused the credentials at http:\/\/127\.0\.0\.1:\d+\/api\/v2\/\S+: Chargebee GET \/\S+ failed: 401 api_authentication_failed: Sorry, authentication failed/);
    assert.ok(!`${bad.stdout}${bad.stderr}`.includes("test_bad_key_0000"));
  } finally {
    await servers.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the demo syncs, edits both sides with one conflict, syncs again, and the third run sends no writes", async () => {
  /** @type {string[]} */
  const lines = [];
  const { first, second, third } = await demo((l) => lines.push(l));
  assert.ok(writesOf(first) > 0);
  assert.ok(Object.values(second.flows).some((f) => "conflicts" in f && f.conflicts === 1));
  assert.equal(writesOf(third), 0);
  const text = lines.join("\n");
  assert.match(text, /conflict +contact-customer: last_name: Customerp "Müller-Lüdenscheidt" vs Chargebee "Mueller"/);
  assert.match(text, /Run 3 sent no writes/);
  assert.match(text, /See them in the operator console: node host-example\/bin\/demo\.mjs --console/);
});
