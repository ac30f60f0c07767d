// The operator console in real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core):
// `bin/sync.mjs console` serves the store of the demo data after its first run; the test logs in with the
// printed token, is refused without a session and without the CSRF token, links the ambiguous match and
// overrides a conflict with the buttons and sees the next sync do it, explains a contact, opens a pair's
// history from the inbox and from Explain, reads a run's log and the overview's chart, and sees no error in
// the browser console on any page.
// CONSOLE_SCREENSHOT=path writes the inbox's screenshot there (docs/console-inbox.png).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { request } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { LOCAL_API_KEY, LOCAL_TOKEN, localSync, startLocalServers } from "../src/local/servers.mjs";
import { runOnce } from "../src/app/actions/run.mjs";
import { live, testDb } from "./helpers.mjs";
import { Inbox } from "../src/app/inbox.mjs";

const SYNC = fileURLToPath(new URL("../bin/sync.mjs", import.meta.url));
const SHARED = "AzZj6kUbTE5g9hN7"; // the Chargebee customer with post@nordlys.example, as contacts 8 and 9
const CHROMIUM = "/usr/bin/chromium";

/** Both servers with the demo data, a store file, and the environment of bin/sync.mjs against them. */
async function demoStore() {
  const servers = await startLocalServers({ rateLimit: { limit: 100_000, windowMs: 60_000 } });
  const dir = mkdtempSync(join(tmpdir(), "host-example-console-"));
  const db = (await testDb(dir));
  const env = {
    PATH: process.env.PATH ?? "", CHARGEBEE_SITE: servers.chargebee.url, CHARGEBEE_API_KEY: LOCAL_API_KEY, CHARGEBEE_RATE_LIMIT: "100000", CUSTOMERP_URL: servers.customerp.url,
    CUSTOMERP_TOKEN: LOCAL_TOKEN, SYNC_DB: db, SYNC_TIME_ZONE: "Europe/Oslo", SYNC_OWN_COMPANY_NAME: "Fjordvik Handel AS", SYNC_ITEM_FAMILY_ID: "customerp-products",
  };
  // one pair at a time: the inbox items get the ids the checks below name
  const app = await localSync({ chargebeeUrl: servers.chargebee.url, customerpUrl: servers.customerp.url, db, concurrency: 1 });
  return {
    servers, dir, env, app,
    async close() {
      await app.store.close();
      await servers.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts bin/sync.mjs with `args` and waits for its console line; returns the child, its output so far and the URLs.
 * @param {string[]} args @param {Record<string, string>} env
 */
async function startCli(args, env) {
  const child = spawn(process.execPath, [SYNC, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  const out = { text: "" };
  child.stdout.on("data", (d) => (out.text += d));
  child.stderr.on("data", (d) => (out.text += d));
  const deadline = Date.now() + 30_000;
  while (!/console +http:\/\/[^\s]+ +\(log in: [^)]+\)/.test(out.text)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no console line from bin/sync.mjs ${args.join(" ")}:\n${out.text}`);
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

/**
 * Collects page errors, console errors and warnings and failed requests, except while `errors.expected`
 * is set (the refusals a test provokes on purpose).
 * @param {import("playwright-core").Page} page @param {string[] & { expected?: boolean }} errors
 */
function watchErrors(page, errors) {
  const add = (/** @type {string} */ e) => errors.expected || errors.push(`${page.url()}: ${e}`);
  page.on("pageerror", (e) => add(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") add(`console ${m.type()}: ${m.text()}`);
  });
  page.on("requestfailed", (r) => add(`request failed: ${r.url()} ${r.failure()?.errorText}`));
}

/** The status of a GET with a Host header of another name. @param {string} url @param {string} host */
const withHost = (url, host) => new Promise((resolve, reject) => {
  request(url, { headers: { host } }, (res) => {
    res.resume();
    resolve(res.statusCode);
  }).on("error", reject).end();
});

/**
 * Loads a page with the cache off and returns the bytes transferred for it and its assets.
 * @param {import("playwright-core").Page} page @param {string} url
 */
async function weigh(page, url) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  let bytes = 0;
  let requests = 0;
  cdp.on("Network.loadingFinished", (e) => {
    bytes += e.encodedDataLength;
    requests += 1;
  });
  await page.goto(url, { waitUntil: "networkidle" });
  await cdp.detach();
  return { bytes, requests };
}

test("the operator console in headless Chromium: login, refusals, Link, Keep Chargebee, Explain, History, the run log and the chart", { timeout: 240_000 }, async (t) => {
  const d = await demoStore();
  await runOnce(d.app); // the demo's run 1: an ambiguous match, conflicts, manual steps, a waiting quote
  const cli = await startCli(["console", "--port", "0"], d.env);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  /** @type {string[] & { expected?: boolean }} */
  const errors = [];
  /** @type {Record<string, { bytes: number, requests: number }>} */
  const weights = {};
  /** @type {Record<string, number>} */
  const times = {};
  const secrets = [LOCAL_API_KEY, LOCAL_TOKEN, new URL(cli.login).searchParams.get("token") ?? "(none)"];
  /** @param {import("playwright-core").Page} page */
  const noSecret = async (page) => {
    const text = await page.content();
    for (const s of secrets) assert.ok(!text.includes(s), `${page.url()} shows a credential`);
  };
  try {
    assert.match(cli.login, /^http:\/\/127\.0\.0\.1:\d+\/login\?token=[\w-]{20,}$/, "a login URL on loopback with a generated token");
    const base = cli.url;

    await t.test("without a session every page and API answers 401; a wrong token logs nobody in", async () => {
      for (const path of ["/", "/inbox", "/explain?flow=contact-customer&side=customerp&id=2", "/history?flow=contact-customer&side=customerp&id=2", "/runs/1", "/api/inbox", "/api/runs", "/api/history?flow=contact-customer&side=customerp&id=2"]) {
        const r = await fetch(base + path, { redirect: "manual" });
        assert.equal(r.status, 401, path);
        const body = await r.text();
        if (!path.startsWith("/api/")) assert.match(body, /<label for="token">Login token<\/label>/, `${path} shows the login form`);
        assert.ok(!body.includes("Customerp 8"), `${path} shows no data`);
      }
      const post = await fetch(`${base}/items/1/dismiss`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "csrf=x" });
      assert.equal(post.status, 401);
      const wrong = await fetch(`${base}/login?token=not-the-token`, { redirect: "manual" });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.headers.get("set-cookie"), null);
      const foreign = await fetch(`${base}/inbox`, { headers: { origin: "http://evil.example" } });
      assert.equal(foreign.status, 403, "a cross-origin request is refused");
      assert.equal(await withHost(`${base}/inbox`, "evil.example"), 421, "a foreign Host (DNS rebinding) is refused");
    });

    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    watchErrors(page, errors);

    await t.test("log in with the token: an HttpOnly, SameSite=Strict session and a redirect to the overview", async () => {
      const res = await page.goto(cli.login);
      assert.equal(new URL(page.url()).pathname, "/");
      assert.equal(res?.status(), 200);
      assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), "Overview");
      const [cookie] = await context.cookies();
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, "Strict");
      assert.equal(await page.evaluate(() => document.cookie), "", "the page's script cannot read the session");
      const csp = String(res?.headers()["content-security-policy"]);
      assert.match(csp, /script-src 'self'/);
      assert.ok(!/unsafe-inline/.test(csp));
      assert.ok(cli.out.text.split(secrets[2]).length === 2, "the token is printed once");
    });

    await t.test("a POST without the session's CSRF token is refused and changes nothing", async () => {
      await page.goto(`${base}/inbox`);
      errors.expected = true;
      const statuses = await page.evaluate(async () => {
        const form = { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" } };
        const none = await fetch("/items/2/dismiss", { ...form, body: "x=1" });
        const wrong = await fetch("/items/2/dismiss", { ...form, headers: { ...form.headers, "x-csrf-token": "forged" }, body: "x=1" });
        const json = await fetch("/items/2/dismiss", { method: "POST", headers: { "content-type": "application/json", "x-csrf-token": document.querySelector('meta[name="csrf-token"]')?.getAttribute("content") ?? "" }, body: "{}" });
        await Promise.all([none.text(), wrong.text(), json.text()]); // read, so no request is left to abort
        return [none.status, wrong.status, json.status];
      });
      errors.expected = false;
      assert.deepEqual(statuses, [403, 403, 415]);
      const items = await (await page.request.get(`${base}/api/inbox?state=all`)).json();
      assert.equal(items.find((/** @type {any} */ i) => i.id === 2).state, "decided");
    });

    await t.test("the inbox shows every item with kind, flow, both ids and message; readable on a narrow screen", async () => {
      await page.setViewportSize({ width: 390, height: 1400 });
      await page.goto(`${base}/inbox`);
      const amb = page.locator("article", { has: page.locator(".kind", { hasText: "ambiguous" }) });
      const text = await amb.innerText();
      for (const s of ["ambiguous", "contact-customer", "8,9", SHARED, "ambiguous match by email"]) assert.ok(text.includes(s), `the item shows ${s}`);
      assert.equal(await amb.getByRole("button", { name: "Link", exact: true }).count(), 2, "one Link per candidate pair");
      assert.equal(await page.locator("article.kind-conflict").first().getByRole("button", { name: "Keep Chargebee", exact: true }).count(), 1);
      assert.equal(await page.locator("article.kind-manual").first().getByRole("button", { name: "Mark done", exact: true }).count(), 1);
      assert.equal(await page.locator("article.kind-waiting").first().getByRole("button", { name: "Retry", exact: true }).count(), 1);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `no horizontal scrolling at 390 px (${overflow} px over)`);
      if (process.env.CONSOLE_SCREENSHOT) {
        await page.setViewportSize({ width: 1000, height: 900 });
        await page.screenshot({ path: process.env.CONSOLE_SCREENSHOT, fullPage: false });
      }
      await page.setViewportSize({ width: 1100, height: 900 });
      await noSecret(page);
    });

    await t.test("Retry a waiting quote: synced again now, still waiting for its contact", async () => {
      await page.goto(`${base}/inbox?kind=waiting`);
      const waiting = page.locator("article.kind-waiting").first();
      const wid = await waiting.getAttribute("id");
      const t0 = Date.now();
      await waiting.getByRole("button", { name: "Retry", exact: true }).click();
      await page.getByRole("status").filter({ hasText: "retried quote-order customerp:4" }).waitFor();
      times.Retry = Date.now() - t0;
      const text = await page.locator(`#${wid}`).innerText();
      assert.match(text, /state: open/);
      assert.match(text, /runs\s+1–2/, "seen again by the retry's run");
      assert.match(text, /waiting for contact-customer 8/);
    });

    await t.test("Link resolves the ambiguous match in place; the next sync links the pair without a twin", async () => {
      await page.goto(`${base}/inbox?kind=ambiguous`);
      await page.evaluate(() => Object.assign(window, { stillHere: true }));
      const amb = page.locator("#item-1");
      const link = amb.locator("form", { hasText: `Customerp 8 ⇄ Chargebee ${SHARED}` }).getByRole("button", { name: "Link", exact: true });
      const t0 = Date.now();
      await link.click();
      await page.locator("#item-1 .state", { hasText: "resolved" }).waitFor();
      times.Link = Date.now() - t0;
      assert.match(await page.locator("#item-1").innerText(), /linked by hand: Customerp 8 ⇄ Chargebee AzZj6kUbTE5g9hN7/);
      assert.match(String(await page.getByRole("status").textContent()), /still held: customerp 9/);
      assert.equal(await page.locator("article", { hasText: "Customerp 9 was in ambiguous match 1" }).count(), 1, "the item holding contact 9 appears");
      assert.equal(await page.evaluate(() => /** @type {any} */ (window).stillHere), true, "no full reload");
      await page.goto(`${base}/inbox?kind=ambiguous&state=all`);
      assert.match(await page.locator("#item-1").innerText(), /state: resolved/, "the state is the store's, not the page's");

      const { summary } = await runOnce(d.app);
      assert.equal((await d.app.store.linkByCustomerp("contact-customer", "8"))?.chargebee_id, SHARED);
      const withEmail = live(d.servers.chargebee.site, "customer").filter((c) => String(c.email ?? "").toLowerCase() === "post@nordlys.example");
      assert.equal(withEmail.length, 1, "no twin customer for contact 9");
      assert.equal(await d.app.store.linkByCustomerp("contact-customer", "9"), undefined, "contact 9 stays held");
      assert.ok(/** @type {any} */ (summary.flows["contact-customer"]).updated.chargebee >= 1, "the pair was merged");
    });

    await t.test("Keep Chargebee overrides a conflict in place; the next sync writes Chargebee's value to Customerp", async () => {
      await page.goto(`${base}/inbox?kind=conflict&flow=contact-customer`);
      const item = page.locator("article", { hasText: 'language: Customerp "de-DE" vs Chargebee "de"' });
      const id = Number((await item.getAttribute("id"))?.slice(5));
      const t0 = Date.now();
      await item.getByRole("button", { name: "Keep Chargebee", exact: true }).click();
      await page.locator(`#item-${id}`, { hasText: "overridden: keep chargebee's value" }).waitFor();
      times["Keep Chargebee"] = Date.now() - t0;
      assert.equal(await page.locator(`#item-${id}`).getByRole("button", { name: "Keep Chargebee" }).count(), 1, "still decided: a person may change it again");
      assert.equal((await d.app.customerp.get("contacts", "2"))?.record.language, "de-DE");
      const { summary } = await runOnce(d.app);
      assert.equal((await d.app.customerp.get("contacts", "2"))?.record.language, "de", "the next sync wrote the kept value");
      assert.equal((await d.app.store.logEntries({ run: summary.run, kind: "override" })).length, 1, "the override's write is in the run log");
    });

    await t.test("Mark done and Dismiss by keyboard alone", async () => {
      await page.goto(`${base}/inbox?kind=manual`);
      const manual = page.locator("article.kind-manual").first();
      const id = await manual.getAttribute("id");
      await manual.getByRole("button", { name: "Mark done", exact: true }).focus();
      let t0 = Date.now();
      await page.keyboard.press("Enter");
      await page.locator(`#${id} .state`, { hasText: "resolved" }).waitFor();
      times["Mark done"] = Date.now() - t0;
      assert.equal(await page.evaluate(() => document.activeElement?.className), "state", "focus moves to the item's new state");
      const next = page.locator("article.kind-manual.state-open").first();
      const nid = await next.getAttribute("id");
      await next.getByRole("button", { name: "Dismiss", exact: true }).focus();
      t0 = Date.now();
      await page.keyboard.press("Enter");
      await page.locator(`#${nid} .state`, { hasText: "dismissed" }).waitFor();
      times.Dismiss = Date.now() - t0;
    });

    await t.test("Keep Customerp on a conflict Customerp won already, and Confirm on a guard item", async () => {
      await page.goto(`${base}/inbox?kind=conflict&flow=customer-business_entity`);
      const name = page.locator("article", { hasText: 'name: Customerp "Nordlys Energi AS"' });
      const id = await name.getAttribute("id");
      let t0 = Date.now();
      await name.getByRole("button", { name: "Keep Customerp", exact: true }).click();
      await page.locator(`#${id} .state`, { hasText: "resolved" }).waitFor();
      times["Keep Customerp"] = Date.now() - t0;
      assert.match(await page.locator(`#${id}`).innerText(), /kept customerp: that was the decision already; nothing to write/);
      // a guard item as a run that stopped a flow leaves it (test/commands.test.mjs makes one from a mass delete)
      const guard = await new Inbox(d.app.store).see({ run: null, kind: "guard", flow: "contact-customer", message: "the guard stopped contact-customer: it planned 12 deletes" });
      await page.goto(`${base}/inbox?kind=guard`);
      t0 = Date.now();
      await page.locator(`#item-${guard.id}`).getByRole("button", { name: "Confirm", exact: true }).click();
      await page.locator(`#item-${guard.id} .state`, { hasText: "resolved" }).waitFor();
      times.Confirm = Date.now() - t0;
      assert.match(await page.locator(`#item-${guard.id}`).innerText(), /confirmed by a person: the next run goes through once/);
      assert.equal(await page.locator(`#item-${guard.id} button`).count(), 0, "nothing left to do on it");
    });

    await t.test("Explain a contact from its item and from the search form: the rows, the decision highlighted, the next requests", async () => {
      await page.goto(`${base}/inbox?kind=conflict&flow=contact-customer`);
      const item = page.locator("article", { hasText: 'language: Customerp "fr-FR"' });
      let t0 = Date.now();
      await item.getByRole("button", { name: "Explain", exact: true }).click();
      await page.locator("table.explain").waitFor();
      times.Explain = Date.now() - t0;
      assert.match(String(await page.getByRole("heading", { level: 2 }).first().textContent()), /contact-customer: Customerp 7 ⇄ Chargebee AzZj2gUbTA1c5dN3/);
      const rows = await page.locator("table.explain tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
      const byProp = Object.fromEntries(rows.map((r) => [r[0], r]));
      assert.ok(rows.length >= 10, `${rows.length} property rows`);
      assert.match(String(byProp.email[1]), /@/, "email: Customerp's value shown");
      assert.match(String(byProp.email[2]), /@/, "email: Chargebee's value shown");
      assert.equal(byProp.language[1], "fr-FR");
      assert.match(String(byProp.language[4]), /^equal/, "settled by run 1: equal now");
      await noSecret(page);

      await page.goto(`${base}/explain`);
      await page.getByLabel("Flow").selectOption("contact-customer");
      await page.getByLabel("Side").selectOption("chargebee");
      await page.getByLabel("Record id").fill(SHARED);
      t0 = Date.now();
      await page.getByRole("button", { name: "Explain", exact: true }).click();
      await page.locator("table.explain").waitFor();
      times["Explain (search)"] = Date.now() - t0;
      assert.match(String(await page.locator("#pair-h").textContent()), new RegExp(`Customerp 8 ⇄ Chargebee ${SHARED}`));
      assert.ok(await page.locator("table.explain tbody tr").count() >= 10);
      assert.match(await page.locator("main").innerText(), /The requests the next run would send/);

      // an edit on one side shows as a highlighted decision and a planned request
      await d.app.customerp.update("contacts", "7", { phone: "+33 6 12 34 56 78" });
      await page.goto(`${base}/explain?flow=contact-customer&side=customerp&id=7`);
      const phone = page.locator("table.explain tbody tr", { has: page.locator("th", { hasText: /^phone/ }) });
      assert.equal(await phone.locator("td.decision mark").textContent(), "copy to Chargebee");
      assert.match(await page.locator("ol.writes").innerText(), /POST \/customers\/AzZj2gUbTA1c5dN3/);
      errors.expected = true;
      const unknown = await page.goto(`${base}/explain?flow=contact-customer&side=customerp&id=no-such-contact`);
      assert.equal(unknown?.status(), 400);
      errors.expected = false;
      assert.match(await page.getByRole("alert").innerText(), /neither Customerp nor Chargebee has customerp:no-such-contact/);
    });

    await t.test("History of a pair from its inbox item and from Explain: its writes with values, its conflict, newest first", async () => {
      await page.goto(`${base}/inbox?kind=conflict&flow=contact-customer`);
      const item = page.locator("article", { hasText: 'language: Customerp "fr-FR"' });
      let t0 = Date.now();
      await item.getByRole("button", { name: "History", exact: true }).click();
      await page.locator("table.history").waitFor();
      times.History = Date.now() - t0;
      assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), "History of a pair");
      assert.match(String(await page.locator("#pair-h").textContent()), /contact-customer: Customerp 7 ⇄ Chargebee AzZj2gUbTA1c5dN3/);
      const rows = await page.locator("table.history tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent?.trim() ?? "")));
      // A write's first row carries its run, entry, side and outcome; each value it changed is a row of its own.
      const at = rows.findIndex((r) => r[5] === "language" && r[6] === "fr");
      const head = rows.slice(0, at + 1).reverse().find((r) => r[0] !== "");
      assert.deepEqual(head && [head[1], head[2], head[3], head[4]], ["1", "update", "chargebee", "ok"], JSON.stringify(rows));
      assert.deepEqual(rows[at].slice(6), ["fr", "fr-FR", "first sync: customerp wins (newest: Customerp was updated later)"]);
      const conflict = rows.find((r) => r[2] === "conflict");
      assert.ok(conflict && conflict[5] === "language" && /Customerp "fr-FR" vs Chargebee "fr"/.test(conflict[6]), JSON.stringify(rows));
      const times_ = await page.locator("table.history time").evaluateAll((ts) => ts.map((x) => x.getAttribute("datetime") ?? ""));
      assert.deepEqual(times_, [...times_].sort().reverse(), "newest first");
      await noSecret(page);
      await page.setViewportSize({ width: 390, height: 1400 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `no horizontal scrolling at 390 px (${overflow} px over)`);
      await page.setViewportSize({ width: 1100, height: 900 });

      await page.goto(`${base}/explain?flow=contact-customer&side=customerp&id=2`);
      t0 = Date.now();
      await page.getByRole("link", { name: "History of this pair" }).click();
      await page.locator("table.history").waitFor();
      times["History (from Explain)"] = Date.now() - t0;
      assert.match(String(await page.locator("#pair-h").textContent()), /contact-customer: Customerp 2 ⇄ Chargebee AzZj1fUbT9Ab4cN2/);
      const text = await page.locator("table.history").innerText();
      assert.match(text, /override/, "the override a person made earlier is in the pair's history");
      assert.match(text, /de-DE/);
      await page.locator("table.history a", { hasText: /^1$/ }).first().click();
      await page.waitForURL(`${base}/runs/1`);
      assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), "Run 1");
      const api = await (await page.request.get(`${base}/api/history?flow=contact-customer&side=customerp&id=2`)).json();
      assert.deepEqual(api.link, { customerp: "2", chargebee: "AzZj1fUbT9Ab4cN2" });
      assert.ok(api.entries.length >= 3);
      await noSecret(page);
    });

    await t.test("a run's page shows its log; the overview lists the runs and draws the chart", async () => {
      await page.goto(`${base}/runs/1`);
      assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), "Run 1");
      const log = await page.locator("table.log tbody tr").allInnerTexts();
      assert.ok(log.some((l) => /conflict/.test(l) && /language/.test(l)), "run 1's conflicts are in its log");
      await page.goto(`${base}/`);
      await page.locator("#chart canvas").waitFor();
      const drawn = await page.locator("#chart canvas").evaluate((c) => {
        const canvas = /** @type {HTMLCanvasElement} */ (c);
        const px = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d")).getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
        return { n, w: canvas.width };
      });
      assert.ok(drawn.w > 200 && drawn.n > 500, `the chart drew ${drawn.n} pixels`);
      assert.deepEqual(await page.locator(".u-legend .u-series th").allInnerTexts().then((l) => l.map((s) => s.trim()).filter(Boolean).slice(-3)), ["writes", "conflicts", "errors"]);
      const runs = await page.locator("section.run h3").allInnerTexts();
      assert.ok(runs.length >= 4 && runs.includes("Run 1"), `the last runs: ${runs.join(", ")}`);
      assert.match(await page.locator("section.run").last().innerText(), /contact-customer\s+9\/9/, "run 1's per-flow counts");
      assert.match(await page.locator("ul.counts").innerText(), /manual/);
    });

    await t.test("page weight of each page (bytes transferred, assets included, cache off)", async () => {
      const w = await context.newPage();
      watchErrors(w, errors);
      for (const [name, path] of [["Overview", "/"], ["Inbox", "/inbox?state=all"], ["Explain", "/explain?flow=contact-customer&side=customerp&id=2"], ["History", "/history?flow=contact-customer&side=customerp&id=2"], ["Run", "/runs/1"], ["Login", "/login"]]) {
        weights[name] = await weigh(w, base + path);
      }
      await w.close();
      for (const [name, x] of Object.entries(weights)) assert.ok(x.bytes > 1000 && x.requests >= 2, `${name}: ${x.bytes} bytes`);
      t.diagnostic(`page weight: ${Object.entries(weights).map(([k, x]) => `${k} ${(x.bytes / 1024).toFixed(1)} KiB in ${x.requests} requests`).join(" · ")}`);
      t.diagnostic(`action time (click → item updated): ${Object.entries(times).map(([k, ms]) => `${k} ${ms} ms`).join(" · ")}`);
    });

    await t.test("log out ends the session", async () => {
      await page.goto(`${base}/`);
      await page.getByRole("button", { name: "Log out" }).click();
      await page.waitForURL(`${base}/login`);
      errors.expected = true;
      const r = await page.goto(`${base}/inbox`);
      errors.expected = false;
      assert.equal(r?.status(), 401);
    });

    assert.deepEqual([...errors], [], "no error in the browser console on any page");
    assert.ok(!cli.out.text.includes(LOCAL_API_KEY) && !cli.out.text.includes(LOCAL_TOKEN), "no credential in the console's output");
  } finally {
    await browser.close();
    assert.equal(await cli.stop(), 0, cli.out.text);
    await d.close();
  }
});

test("run --watch --console: the console beside the loop; usage errors for --console without a loop and for one port twice", { timeout: 60_000 }, async () => {
  const d = await demoStore();
  try {
    const token = "a-console-token-for-the-test";
    const cli = await startCli(["run", "--watch", "3600", "--console", "0"], { ...d.env, CONSOLE_TOKEN: token });
    try {
      assert.match(cli.out.text, /log in: http:\/\/127\.0\.0\.1:\d+\/login\?token=<CONSOLE_TOKEN>/, "a configured token is not printed");
      const login = await fetch(`${cli.url}/login?token=${token}`, { redirect: "manual" });
      assert.equal(login.status, 303);
      const cookie = String(login.headers.get("set-cookie")).split(";")[0];
      const deadline = Date.now() + 30_000;
      let page = "";
      while (!page.includes("Run 1") && Date.now() < deadline) {
        page = await (await fetch(`${cli.url}/`, { headers: { cookie } })).text();
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.match(page, /Run 1<\/a>/, "the loop's first run shows in the console");
      assert.ok(!cli.out.text.includes(token));
    } finally {
      assert.equal(await cli.stop(), 0, cli.out.text);
    }
    const alone = spawn(process.execPath, [SYNC, "run", "--console"], { env: d.env });
    assert.equal(await new Promise((r) => alone.once("exit", r)), 2);
    let err = "";
    const twice = spawn(process.execPath, [SYNC, "run", "--watch", "--webhooks", "18484", "--console", "18484"], { env: d.env });
    twice.stderr.on("data", (x) => (err += x));
    assert.equal(await new Promise((r) => twice.once("exit", r)), 2);
    assert.match(err, /--console and --webhooks both ask for port 18484/);
  } finally {
    await d.close();
  }
});

test("the demo ends by telling how to open the console, and `demo.mjs --console` serves it on the demo's store", { timeout: 90_000 }, async () => {
  const child = spawn(process.execPath, [fileURLToPath(new URL("../bin/demo.mjs", import.meta.url)), "--console", "0"], { env: { PATH: process.env.PATH ?? "" }, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout.on("data", (x) => (text += x));
  child.stderr.on("data", (x) => (text += x));
  try {
    const deadline = Date.now() + 60_000;
    while (!/log in: http:\/\/127\.0\.0\.1:\d+\/login\?token=[\w-]+\)/.test(text)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no login link from the demo:\n${text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(text, /Run 3 sent no writes/);
    assert.match(text, /Operator console on the demo's store .*sync\.sqlite:/);
    const login = /** @type {RegExpExecArray} */ (/log in: (http:\/\/[^)]+)\)/.exec(text))[1];
    const r = await fetch(login, { redirect: "manual" });
    assert.equal(r.status, 303);
    const cookie = String(r.headers.get("set-cookie")).split(";")[0];
    const inbox = await (await fetch(new URL("/inbox", login), { headers: { cookie } })).text();
    assert.match(inbox, /ambiguous match by email: Customerp 8, 9 and Chargebee AzZj6kUbTE5g9hN7/);
  } finally {
    child.kill("SIGINT");
    if (child.exitCode === null) await new Promise((r) => child.once("exit", r));
  }
  assert.equal(child.exitCode, 0, text);
});
