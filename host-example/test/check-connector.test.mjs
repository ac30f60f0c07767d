// `check-connector`: the Customerp REST contract as checks. The project's own Customerp server passes every
// check, read-only and with --write; each connector of broken-connectors.mjs fails exactly the checks that catch
// its fault, each naming its rule (a section of docs/customerp-rest.md that exists); the CLI exits 0 or 1, names
// the failures, and never prints the token.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startCustomerpServer } from "../src/local/customerp-server.mjs";
import { seedCustomerp } from "../src/local/demo-data.mjs";
import { RECORD_TYPES, RULES, CONTRACT, runConnectorChecks } from "../src/app/connector-check.mjs";
import { checkConnector } from "../src/app/actions/check-connector.mjs";
import { FAULTS, startBrokenConnector } from "./broken-connectors.mjs";
import { headingAnchors } from "../../scripts/check-links.mjs";

const TOKEN = "t0k-check-connector-secret-4711";
const SYNC = fileURLToPath(new URL("../bin/sync.mjs", import.meta.url));
const ANCHORS = headingAnchors(readFileSync(new URL(`../../${CONTRACT}`, import.meta.url), "utf8"));

const READ_ONLY = [
  "auth.no-token", "auth.wrong-token",
  ...RECORD_TYPES.flatMap((t) => [`feed.paging.${t}`, `feed.cursor.${t}`, `read.by-id.${t}`, `read.ids.${t}`]),
  "read.unknown-id", "feed.limit-bounds",
];
const WRITE = ["write.create", "write.create-replay", "write.create-conflict", "write.patch", "write.patch-stale", "write.delete-stale", "write.delete", "write.read-deleted"];

/** @param {string[]} args @param {Record<string, string>} env @returns {Promise<{ code: number, stdout: string, stderr: string }>} */
function cli(args, env) {
  return new Promise((resolve) => {
    execFile(process.execPath, [SYNC, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });
}

test("every rule names a section of docs/customerp-rest.md that exists", () => {
  for (const [name, r] of Object.entries(RULES)) assert.ok(ANCHORS.has(r.section), `${name}: #${r.section}`);
});

test("the project's Customerp server passes every check, read-only and with --write on every record type", async () => {
  const server = await startCustomerpServer({ token: TOKEN, seed: seedCustomerp });
  try {
    const ro = await runConnectorChecks({ url: server.url, token: TOKEN });
    assert.deepEqual(ro.checks.map((c) => c.id), READ_ONLY);
    assert.deepEqual(ro.checks.filter((c) => c.status !== "pass").map((c) => `${c.id}: ${c.message}`), []);
    assert.equal(ro.mode, "read-only");
    assert.deepEqual(ro.cleanup, []);
    assert.equal(server.requests.filter((r) => r.method !== "GET").length, 0, "read-only sends no write");

    for (const type of RECORD_TYPES) {
      const before = server.db.table(type).size;
      const { report, exitCode } = await checkConnector({ url: server.url, token: TOKEN, write: true, type });
      assert.equal(exitCode, 0, type);
      assert.deepEqual(report.checks.map((c) => c.id), [...READ_ONLY, ...WRITE]);
      assert.deepEqual(report.checks.filter((c) => c.status !== "pass").map((c) => `${c.id}: ${c.message}`), [], type);
      // One record made, and left as a tombstone: the contract's soft delete.
      assert.equal(server.db.table(type).size, before + 1, type);
      const made = [...server.db.table(type).values()].at(-1)?.record;
      assert.equal(made?.deleted, true, type);
      assert.equal(report.cleanup.length, 1);
      assert.match(report.cleanup[0].outcome, /made by write\.create: deleted; its tombstone stays/);
    }

    // A sample smaller than a type: the first records are compared, and the check says so.
    const small = await runConnectorChecks({ url: server.url, token: TOKEN, sample: 3 });
    const paging = small.checks.find((c) => c.id === "feed.paging.contacts");
    assert.equal(paging?.status, "pass");
    assert.match(paging?.message ?? "", /^3 records by pages of 1 \(3 requests, the first 3\)/);
  } finally {
    await server.close();
  }
});

for (const [fault, { breaks, catches }] of Object.entries(FAULTS)) {
  test(`a connector with a fault is caught by exactly its checks: ${fault} (${breaks})`, async () => {
    const broken = await startBrokenConnector(fault, { token: TOKEN });
    try {
      const { report, exitCode } = await checkConnector({ url: broken.url, token: TOKEN, write: true });
      assert.equal(exitCode, 1);
      assert.deepEqual(report.summary.failedIds, catches, report.checks.filter((c) => c.status === "fail").map((c) => `${c.id}: ${c.message}`).join("\n"));
      const skipped = report.checks.filter((c) => c.status === "skip").map((c) => c.id);
      assert.deepEqual(skipped, fault === "no-etag" ? ["write.patch-stale", "write.delete-stale"] : []);
      for (const c of report.checks.filter((x) => x.status === "fail")) {
        const [doc, anchor] = c.rule.doc.split("#");
        assert.equal(doc, CONTRACT, c.id);
        assert.ok(ANCHORS.has(anchor), `${c.id}: ${c.rule.doc} is a section of the contract`);
        assert.ok(c.rule.text.length > 20 && c.message.length > 10, c.id);
        assert.ok(c.exchange, `${c.id} shows the request and the answer`);
        assert.match(c.exchange.request.method, /^(GET|POST|PATCH|DELETE)$/);
        assert.ok(c.exchange.request.url.startsWith(broken.url), c.exchange.request.url);
        assert.ok(c.exchange.response.status > 0, c.id);
      }
      assert.ok(!JSON.stringify(report).includes(TOKEN), "the token is never in the report");
      // What each fault looks like in the report.
      const message = (/** @type {string} */ id) => report.checks.find((c) => c.id === id)?.message ?? "";
      if (fault === "skipping-cursor") {
        assert.match(message("feed.paging.contacts"), /following the cursors with limit=1 skipped 4 \(2, 4, 6, 8\)/);
        const shown = report.checks.find((c) => c.id === "feed.paging.contacts")?.exchange;
        assert.match(shown?.request.url ?? "", /\/api\/contacts\?since=0&limit=1$/, "the page whose cursor led past a record");
      }
      if (fault === "no-etag") assert.match(message("read.by-id.contacts"), /answered without an ETag/);
      if (fault === "create-not-idempotent") {
        assert.match(message("write.create-replay"), /made another record/);
        assert.match(message("write.create-conflict"), /answered 201, not 422/);
        assert.equal(report.cleanup.length, 3, "the twins are cleaned up too");
        for (const c of report.cleanup) assert.match(c.outcome, /its tombstone stays/);
      }
      if (fault === "hard-delete") {
        assert.match(message("write.delete"), /answered 204 without the record/);
        assert.match(message("write.read-deleted"), /answered 404/);
        assert.match(report.cleanup[0].outcome, /nothing stays \(the connector removed it for real\)/);
      }
      if (fault === "if-match-ignored") {
        assert.match(message("write.patch-stale"), /answered 200, not 412: it overwrote the edit/);
        assert.match(message("write.delete-stale"), /answered 200, not 412: the record was deleted/);
      }
    } finally {
      await broken.close();
    }
  });
}

test("the CLI: exit 0 on the local server, 1 naming the failed checks, 2 without a token, 5 for a refused one; the token never printed", async () => {
  const server = await startCustomerpServer({ token: TOKEN, seed: seedCustomerp });
  const broken = await startBrokenConnector("if-match-ignored", { token: TOKEN });
  try {
    const ok = await cli(["check-connector", server.url], { CUSTOMERP_TOKEN: TOKEN });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^Customerp connector http:\/\/127\.0\.0\.1:\d+ {2}\(token from CUSTOMERP_TOKEN: set, not shown\) {2}read-only$/m);
    assert.match(ok.stdout, /^ {2}pass {2}feed\.paging\.contacts +9 records by pages of 1/m);
    assert.match(ok.stdout, /^28 checks: 28 passed, 0 failed, 0 skipped$/m);

    const bad = await cli(["check-connector", broken.url, "--write", "--token-env", "ERP_TOKEN"], { ERP_TOKEN: TOKEN });
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /\(token from ERP_TOKEN: set, not shown\)/);
    assert.match(bad.stdout, /^ {2}FAIL {2}write\.patch-stale +PATCH with the stale ETag/m);
    assert.match(bad.stdout, /rule +PATCH with a stale If-Match is refused with 412 and the error shape, and changes nothing \(docs\/customerp-rest\.md#etags-and-if-match\)/);
    assert.match(bad.stdout, /request +PATCH http:\/\/127\.0\.0\.1:\d+\/api\/contacts\/10\n +authorization: Bearer \[redacted\]\n +if-match: "\d+"/);
    assert.match(bad.stdout, /^36 checks: 34 passed, 2 failed, 0 skipped\nfailed: write\.patch-stale, write\.delete-stale$/m);

    const json = await cli(["check-connector", broken.url, "--json"], { CUSTOMERP_TOKEN: TOKEN });
    assert.equal(json.code, 0, "read-only, the If-Match fault goes unseen");
    assert.equal(JSON.parse(json.stdout).summary.passed, 28);

    const api = await cli(["check-connector", `${server.url}/api`], { CUSTOMERP_TOKEN: TOKEN });
    assert.equal(api.code, 2);
    assert.match(api.stderr, /give the connector's base URL without \/api, as CUSTOMERP_URL/);
    const none = await cli(["check-connector", server.url], {});
    assert.equal(none.code, 2);
    assert.match(none.stderr, /set CUSTOMERP_TOKEN to the connector's bearer token/);
    const refused = await cli(["check-connector", server.url], { CUSTOMERP_TOKEN: `${TOKEN}-not-this-one` });
    assert.equal(refused.code, 5);
    assert.match(refused.stderr, /Customerp refused the token at http:\/\/127\.0\.0\.1:\d+\/: GET \/api\/contacts answered 401 unauthorized/);
    for (const r of [ok, bad, json, api, none, refused]) assert.ok(!`${r.stdout}${r.stderr}`.includes(TOKEN), "the token is never printed");
  } finally {
    await broken.close();
    await server.close();
  }
});
