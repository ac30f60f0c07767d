// Smoke test of the "./web" build in a real browser: headless Chromium loads a page that imports the
// package through an import map (as a site without a bundler would), awaits init() and calls the API,
// and runs the SyncError cases of sync-error-cases.mjs (served as /cases.mjs) against it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { checkSyncErrorRows } from "./sync-error-cases.mjs";

const require = createRequire(import.meta.url);
const pkgDir = path.dirname(require.resolve("customerp-chargebee/package.json"));
const chromium = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";

const page = `<!doctype html>
<html><head><meta charset="utf-8">
<script type="importmap">{ "imports": { "customerp-chargebee/web": "/pkg/dist/web.js" } }</script>
<script type="module">
  const out = document.getElementById("result");
  try {
    const web = await import("customerp-chargebee/web");
    const { default: init, flows, dataflowDocument } = web;
    await init();
    const { syncErrorRows } = await import("/cases.mjs");
    out.textContent = JSON.stringify({ ok: true, flows: flows().map((f) => f.id),
      doc: dataflowDocument("markdown").length, syncErrors: syncErrorRows(web), ua: navigator.userAgent });
  } catch (e) {
    out.textContent = JSON.stringify({ ok: false, error: String(e && e.stack || e) });
  }
</script></head>
<body><pre id="result">pending</pre></body></html>`;

const cases = fileURLToPath(new URL("sync-error-cases.mjs", import.meta.url));
const types = { ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };

test("./web runs in headless Chromium after await init(), and what it throws is instanceof its SyncError", { skip: process.env.SKIP_BROWSER_TESTS === "1" }, async (t) => {
  assert.ok(existsSync(chromium), `${chromium} not found (scripts/setup.sh installs it; SKIP_BROWSER_TESTS=1 skips)`);
  // Serves the page at / and the installed package under /pkg/.
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    let body = null;
    let type = "text/html";
    if (url.pathname === "/") body = page;
    else if (url.pathname === "/cases.mjs") {
      body = readFileSync(cases);
      type = types[".mjs"];
    }
    else if (url.pathname.startsWith("/pkg/")) {
      const file = path.join(pkgDir, path.normalize(url.pathname.slice("/pkg/".length)));
      if (file.startsWith(pkgDir) && existsSync(file)) {
        body = readFileSync(file);
        type = types[path.extname(file)] ?? "application/octet-stream";
      }
    }
    res.writeHead(body === null ? 404 : 200, { "content-type": type });
    res.end(body ?? "not found");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const profile = mkdtempSync(path.join(os.tmpdir(), "chromium-profile-"));
  try {
    const url = `http://127.0.0.1:${server.address().port}/`;
    // As root Chromium needs --no-sandbox; the network flags stop it from calling home on a closed network.
    const { stdout } = await promisify(execFile)(chromium, [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      `--user-data-dir=${profile}`, "--virtual-time-budget=20000", "--dump-dom", url,
    ], { timeout: 90_000, maxBuffer: 16 << 20 });
    const text = stdout.match(/<pre id="result">([^<]*)<\/pre>/)?.[1];
    assert.ok(text && text !== "pending", `the page did not finish:\n${stdout.slice(0, 2000)}`);
    const result = JSON.parse(text.replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&"));
    assert.ok(result.ok, `the page failed: ${result.error}`);
    t.diagnostic(`ran in: ${result.ua}`);
    assert.match(result.ua, /Chrome\//);
    assert.equal(result.flows.length, 6);
    assert.ok(result.doc > 0);
    checkSyncErrorRows(assert, result.syncErrors, "./web in Chromium");
  } finally {
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
