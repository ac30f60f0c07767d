// The operator console on a store with tenants, in real headless Chromium (Debian's /usr/bin/chromium
// driven by playwright-core): three tenants added with `tenant add`, two of them synced once against their
// own local servers (each with a contact only it has, and an inbox item only it has), the third never run
// and without its secret in the console's environment. `bin/sync.mjs console` then serves the overview of
// every tenant (the data of `tenant list --json`), each tenant's pages under /t/<id>/ and a selector on
// every page. Checked: login still required; the overview's counts; the selector switches the inbox to the
// other tenant's items; no page of one tenant shows another's records, nor acts on another's item; Explain
// reads each tenant's own systems; a tenant whose secret this process lacks still shows its store's pages;
// no secret in any page or in the output; no error in the browser. Runs on SQLite, and on PostgreSQL with
// SYNC_TEST_PG (tenants are the same on both back ends).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { LOCAL_API_KEY, LOCAL_TOKEN, startLocalServers } from "../src/local/servers.mjs";
import { Store } from "../src/app/store/store.mjs";
import { tenantApp } from "../src/app/app.mjs";
import { runOnce } from "../src/app/actions/run.mjs";
import { Inbox } from "../src/app/inbox.mjs";
import { PG, testDb } from "./helpers.mjs";

const SYNC = fileURLToPath(new URL("../bin/sync.mjs", import.meta.url));
const CHROMIUM = "/usr/bin/chromium";
const OPTIONS = JSON.stringify({ timeZone: "Europe/Oslo", ownCompanyName: "Fjordvik Handel AS", itemFamilyId: "customerp-products" });

/** @param {string[]} args @param {Record<string, string>} env @returns {Promise<{ code: number, stdout: string, stderr: string }>} */
function cli(args, env) {
  return new Promise((resolve) => {
    execFile(process.execPath, [SYNC, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) }));
  });
}

/** Starts `bin/sync.mjs console` and waits for its login line. @param {Record<string, string>} env */
async function startConsoleCli(env) {
  const child = spawn(process.execPath, [SYNC, "console", "--port", "0"], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const out = { text: "" };
  child.stdout.on("data", (d) => (out.text += d));
  child.stderr.on("data", (d) => (out.text += d));
  const deadline = Date.now() + 30_000;
  while (!/console +http:\/\/[^\s]+ +\(log in: [^)]+\)/.test(out.text) || !/tenants \(/.test(out.text)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no console line from bin/sync.mjs console:\n${out.text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const [, url, login] = /** @type {RegExpExecArray} */ (/console +(http:\/\/[^\s]+) +\(log in: ([^)]+)\)/.exec(out.text));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill("SIGINT");
      await new Promise((r) => child.once("exit", r));
    }
    return child.exitCode;
  };
  return { child, out, url, login, stop };
}

test("the console on a store with tenants: the overview of all tenants, a selector on every page, each tenant's pages its own", { timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "host-example-console-tenants-"));
  const db = await testDb(dir);
  const env = { SYNC_DB: db, CB_KEY: LOCAL_API_KEY, CP_TOKEN: LOCAL_TOKEN, CHARGEBEE_RATE_LIMIT: "100000" };
  /** @type {Record<string, Awaited<ReturnType<typeof startLocalServers>>>} */
  const servers = {};
  /** @type {Record<string, { contact: string, item: number }>} the contact and the inbox item only that tenant has */
  const own = {};
  const root = await Store.open(db);
  /** @type {Awaited<ReturnType<typeof startConsoleCli>> | null} */
  let cons = null;
  /** @type {import("playwright-core").Browser | null} */
  let browser = null;
  try {
    for (const [id, name] of [["acme", "Acmeonly"], ["birch", "Birchonly"], ["cedar", "Cedaronly"]]) {
      const s = await startLocalServers({ rateLimit: { limit: 100_000, windowMs: 60_000 } });
      servers[id] = s;
      const { record: contact } = s.customerp.db.create("contacts", { first_name: "Åse", last_name: name, email: `${name.toLowerCase()}@example.no`, is_active: true });
      // cedar's Chargebee key comes from CEDAR_KEY, which the console's process does not have
      const add = await cli(["tenant", "add", id, "--chargebee-site", s.chargebee.url, "--chargebee-key-env", id === "cedar" ? "CEDAR_KEY" : "CB_KEY",
        "--customerp-url", s.customerp.url, "--customerp-token-env", "CP_TOKEN", "--options", OPTIONS], env);
      assert.equal(add.code, 0, add.stderr);
      if (id === "cedar") continue;
      const app = await tenantApp(root, id, { env });
      const { summary } = await runOnce(app);
      assert.equal(summary.requests.chargebee.writes > 0, true, `${id} synced`);
      const seen = await new Inbox(app.store).see({ run: null, kind: "manual", flow: "contact-customer", customerp: String(contact.id), message: `${name}: a step only ${id} has` });
      own[id] = { contact: String(contact.id), item: seen.id };
    }
    assert.notEqual(own.acme.item, own.birch.item);
    const list = await cli(["tenant", "list", "--json"], env);
    assert.equal(list.code, 0, list.stderr);
    /** @type {any[]} */
    const listed = JSON.parse(list.stdout);
    assert.deepEqual(listed.map((r) => r.id), ["acme", "birch", "cedar"]);
    const openOf = (/** @type {string} */ id) => Object.values(/** @type {Record<string, number>} */ (listed.find((r) => r.id === id).inbox)).reduce((n, k) => n + k, 0);
    assert.ok(openOf("acme") > 1 && openOf("birch") > 1 && openOf("cedar") === 0);

    // The console's process: the store and the secrets of acme and birch only. No CHARGEBEE_SITE, no CUSTOMERP_URL.
    const started = await startConsoleCli({ SYNC_DB: db, CB_KEY: LOCAL_API_KEY, CP_TOKEN: LOCAL_TOKEN });
    cons = started;
    const base = started.url;
    assert.match(started.login, /^http:\/\/127\.0\.0\.1:\d+\/login\?token=[\w-]{20,}$/, "on loopback, with a generated login token");
    const secrets = [LOCAL_API_KEY, LOCAL_TOKEN, new URL(started.login).searchParams.get("token") ?? "(none)", ...(PG ? [decodeURIComponent(new URL(PG).password)] : [])].filter((s) => s.length >= 8);
    /** @param {string} where @param {string} text */
    const noSecret = (where, text) => {
      for (const s of secrets) assert.ok(!text.includes(s), `${where} shows a credential`);
    };

    await t.test("without a session every page of every tenant answers 401 with the login form", async () => {
      for (const path of ["/", "/api/tenants", "/tenant?id=acme&page=/inbox", "/t/acme/", "/t/acme/inbox", "/t/birch/inbox?state=all", "/t/acme/runs/1", "/t/acme/api/inbox", `/t/acme/explain?flow=contact-customer&side=customerp&id=${own.acme.contact}`]) {
        const r = await fetch(base + path, { redirect: "manual" });
        assert.equal(r.status, 401, path);
        const body = await r.text();
        if (!path.includes("/api/")) assert.match(body, /<label for="token">Login token<\/label>/, `${path} shows the login form`);
        for (const s of ["Acmeonly", "Birchonly", "acme", "birch"]) assert.ok(!body.includes(s), `${path} shows nothing of the tenants (${s})`);
      }
      const post = await fetch(`${base}/t/acme/items/${own.acme.item}/dismiss`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "csrf=x" });
      assert.equal(post.status, 401);
      assert.equal((await fetch(`${base}/login?token=not-the-token`, { redirect: "manual" })).status, 401);
    });

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    /** @type {string[]} */
    const errors = [];
    let expected = false;
    const add = (/** @type {string} */ e) => expected || errors.push(`${page.url()}: ${e}`);
    page.on("pageerror", (e) => add(`page error: ${e.message}`));
    page.on("console", (m) => (m.type() === "error" || m.type() === "warning") && add(`console ${m.type()}: ${m.text()}`));
    page.on("requestfailed", (r) => add(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    /** every page visited, for the secret check */
    const visited = new Map();
    const remember = async () => visited.set(page.url(), await page.content());

    await t.test("log in: the overview of every tenant, its flows' last runs and its open items as tenant list --json has them", async () => {
      await page.goto(started.login);
      assert.equal(new URL(page.url()).pathname, "/");
      assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), "Tenants");
      await remember();
      for (const row of listed) {
        const tr = page.locator(`tr#tenant-${row.id}`);
        const text = await tr.innerText();
        assert.ok(text.includes(row.id), row.id);
        assert.ok(text.includes(row.chargebee), `${row.id}: its Chargebee site`);
        const counts = await tr.locator(".open-items li").evaluateAll((lis) => lis.map((li) => [li.querySelector("a")?.textContent, Number(li.querySelector("strong")?.textContent)]));
        assert.deepEqual(Object.fromEntries(counts), row.inbox, `${row.id}: its open items by kind`);
        if (row.id === "cedar") {
          assert.equal(await tr.locator("td", { hasText: "not run yet" }).count(), 6, "cedar: no flow run yet");
        } else {
          for (const [flow, r] of Object.entries(/** @type {Record<string, any>} */ (row.flows))) {
            assert.equal(r.outcome, "ok");
            assert.match(await tr.locator(`td[data-label="${flow}"]`).innerText(), new RegExp(`run ${r.run} ok\\s+${r.at.slice(0, 19).replace("T", " ")}`), `${row.id} ${flow}`);
          }
        }
      }
      const api = await (await page.request.get(`${base}/api/tenants`)).json();
      assert.deepEqual(api, listed, "/api/tenants is tenant list --json");
    });

    await t.test("a tenant's inbox, then the selector switches it to the other tenant's items", async () => {
      await page.locator("tr#tenant-acme").getByRole("link", { name: "acme", exact: true }).click();
      assert.equal(new URL(page.url()).pathname, "/t/acme/");
      assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "Overview of tenant acme");
      await page.getByRole("navigation").getByRole("link", { name: "Inbox" }).click();
      assert.equal(new URL(page.url()).pathname, "/t/acme/inbox");
      assert.equal(await page.locator("#tenant-select").inputValue(), "acme");
      assert.equal(await page.locator("article.item").count(), openOf("acme"));
      assert.equal(await page.locator(`#item-${own.acme.item}`).count(), 1);
      assert.ok((await page.locator("#items").innerText()).includes("Acmeonly: a step only acme has"));
      await remember();
      await page.locator("#tenant-select").selectOption("birch");
      await page.getByRole("button", { name: "Show", exact: true }).click();
      assert.equal(new URL(page.url()).pathname, "/t/birch/inbox", "the same page, of the other tenant");
      assert.equal(await page.locator("#tenant-select").inputValue(), "birch");
      const items = await page.locator("#items").innerText();
      assert.ok(items.includes("Birchonly: a step only birch has"));
      assert.ok(!items.includes("Acmeonly"), "none of acme's items");
      assert.equal(await page.locator("article.item").count(), openOf("birch"));
      assert.equal(await page.locator(`#item-${own.acme.item}`).count(), 0);
      // every form and link of the page stays with birch
      const targets = await page.locator("main form[action], main a[href]").evaluateAll((els) => els.map((e) => e.getAttribute("action") ?? e.getAttribute("href")));
      assert.ok(targets.length > 5 && targets.every((u) => String(u).startsWith("/t/birch/")), `birch's forms and links: ${targets.filter((u) => !String(u).startsWith("/t/birch/")).join(", ")}`);
      await remember();
    });

    await t.test("no page of birch shows acme's records; an action of birch cannot reach acme's item", async () => {
      const runOf = (/** @type {string} */ id) => Number(/** @type {any} */ (Object.values(listed.find((r) => r.id === id).flows)[0]).run);
      assert.notEqual(runOf("acme"), runOf("birch"));
      const pages = ["/t/birch/", "/t/birch/inbox?state=all", `/t/birch/runs/${runOf("birch")}`, "/t/birch/explain", `/t/birch/explain?flow=contact-customer&side=customerp&id=${own.birch.contact}`,
        `/t/birch/history?flow=contact-customer&side=customerp&id=${own.birch.contact}`, "/t/birch/api/inbox?state=all", "/t/birch/api/runs"];
      for (const path of pages) {
        // the JSON answers through the page's session, not as a page (a JSON page has Chromium ask for /favicon.ico)
        const res = path.includes("/api/") ? await page.request.get(base + path) : await page.goto(base + path);
        assert.equal(res?.status(), 200, path);
        const text = path.includes("/api/") ? await /** @type {import("playwright-core").APIResponse} */ (res).text() : await page.content();
        assert.ok(!text.includes("Acmeonly") && !text.includes("acmeonly@"), `${path} shows acme's records`);
        visited.set(base + path, text);
      }
      expected = true;
      assert.equal((await page.goto(`${base}/t/birch/runs/${runOf("acme")}`))?.status(), 404, "acme's run is not birch's");
      assert.ok(!(await page.content()).includes("Acmeonly"));
      expected = false;
      await page.goto(`${base}/t/birch/explain?flow=contact-customer&side=customerp&id=${own.birch.contact}`);
      assert.match(await page.locator("main").innerText(), /Birchonly/, "Explain reads birch's own systems");
      assert.equal(await page.locator("#tenant-select").inputValue(), "birch");
      await page.goto(`${base}/t/acme/explain?flow=contact-customer&side=customerp&id=${own.acme.contact}`);
      const acme = await page.locator("main").innerText();
      assert.ok(acme.includes("Acmeonly") && !acme.includes("Birchonly"), "and acme's, acme's");
      await remember();
      // acme's item through birch's pages: not found, and acme's item is as it was
      await page.goto(`${base}/t/birch/inbox`);
      expected = true;
      const status = await page.evaluate(async (id) => {
        const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute("content") ?? "";
        const r = await fetch(`/t/birch/items/${id}/dismiss`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-csrf-token": csrf, accept: "application/json" }, body: "x=1" });
        await r.text();
        return r.status;
      }, own.acme.item);
      expected = false;
      assert.equal(status, 400);
      const acmeItems = await (await page.request.get(`${base}/t/acme/api/inbox`)).json();
      assert.equal(acmeItems.find((/** @type {any} */ i) => i.id === own.acme.item)?.state, "open", "acme's item untouched");
      // birch's own item, with its button: dismissed in birch only
      await page.locator(`#item-${own.birch.item}`).getByRole("button", { name: "Dismiss", exact: true }).click();
      await page.locator(`#item-${own.birch.item} .state`, { hasText: "dismissed" }).waitFor();
      const after = await (await page.request.get(`${base}/api/tenants`)).json();
      const open = (/** @type {string} */ id) => Object.values(/** @type {Record<string, number>} */ (after.find((/** @type {any} */ r) => r.id === id).inbox)).reduce((n, k) => n + k, 0);
      assert.equal(open("birch"), openOf("birch") - 1);
      assert.equal(open("acme"), openOf("acme"));
    });

    await t.test("a tenant whose secret this process lacks: its store's pages show, Explain says why it cannot, with no secret", async () => {
      await page.goto(`${base}/t/cedar/inbox`);
      assert.equal(await page.locator("article.item").count(), 0);
      await remember();
      expected = true;
      const res = await page.goto(`${base}/t/cedar/explain?flow=contact-customer&side=customerp&id=1`);
      expected = false;
      assert.equal(res?.status(), 400);
      assert.match(await page.locator("p.error").innerText(), /cannot reach tenant cedar's systems: .*CEDAR_KEY/);
      await remember();
    });

    await t.test("an unknown tenant is a 404; the selector goes back to the overview", async () => {
      expected = true;
      assert.equal((await page.goto(`${base}/t/nope/inbox`))?.status(), 404);
      assert.equal((await page.goto(`${base}/tenant?id=nope&page=/inbox`))?.status(), 404);
      assert.equal((await page.goto(`${base}/inbox`))?.status(), 404, "no page of no tenant");
      expected = false;
      await page.goto(`${base}/t/acme/history`);
      await page.locator("#tenant-select").selectOption("birch");
      await page.getByRole("button", { name: "Show", exact: true }).click();
      assert.equal(new URL(page.url()).pathname, "/t/birch/history");
      await page.getByRole("navigation").getByRole("link", { name: "Tenants" }).click();
      assert.equal(new URL(page.url()).pathname, "/");
    });

    await t.test("no secret in any page nor in the console's output; no error in the browser", async () => {
      assert.ok(visited.size >= 12, `${visited.size} pages`);
      for (const [url, text] of visited) noSecret(url, text);
      noSecret("/api/tenants", await (await page.request.get(`${base}/api/tenants`)).text());
      const out = started.out.text;
      assert.ok(!out.includes(LOCAL_API_KEY) && !out.includes(LOCAL_TOKEN), "no credential in the output");
      assert.deepEqual(errors, []);
    });
    await context.close();
  } finally {
    await browser?.close();
    if (cons) assert.equal(await cons.stop(), 0, cons.out.text);
    await root.close();
    for (const s of Object.values(servers)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the console on a store without tenants and an environment without systems: the environment's error, as before, and no store made", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "host-example-console-none-"));
  try {
    const db = await testDb(dir);
    const r = await cli(["console", "--port", "0"], { SYNC_DB: db });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /error: set CHARGEBEE_SITE, CHARGEBEE_API_KEY, CUSTOMERP_URL, CUSTOMERP_TOKEN/);
    if (!PG) assert.ok(!existsSync(db), "no store file made");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
