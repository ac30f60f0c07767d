// Customerp change notifications: a subscription gets every change as {type, id, change, cursor}, signed
// with HMAC-SHA256 over timestamp and body, and a failed delivery is retried.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { createHmac } from "node:crypto";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, startCustomerpServer } from "../src/local/customerp-server.mjs";
import { close, listen, readBody } from "../src/lib/http.mjs";

const TOKEN = "cp-hooks-token";
const SECRET = "a-secret-of-thirty-two-characters";
/** @type {import("../src/local/customerp-server.mjs").CustomerpServer} */
let cp;

before(async () => {
  cp = await startCustomerpServer({ token: TOKEN, webhooks: { retryDelaysMs: [50, 50] } });
});
after(() => cp.close());

/** @param {string} method @param {string} path @param {unknown} [body] */
async function call(method, path, body) {
  const res = await fetch(`${cp.url}${path}`, {
    method, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

test("subscriptions: every change POSTed, signed over timestamp and body; a 500 is retried", async () => {
  /** @type {{ body: string, ts: string, sig: string }[]} */
  const got = [];
  let fail = 1;
  const receiver = http.createServer(async (req, res) => {
    const body = await readBody(req);
    if (fail-- > 0) return void res.writeHead(500).end();
    got.push({ body, ts: String(req.headers[TIMESTAMP_HEADER]), sig: String(req.headers[SIGNATURE_HEADER]) });
    res.writeHead(204).end();
  });
  const { origin } = await listen(receiver);
  try {
    assert.equal((await call("POST", "/api/webhooks", { url: `${origin}/hook`, secret: "short" })).status, 400);
    const sub = await call("POST", "/api/webhooks", { url: `${origin}/hook`, secret: SECRET });
    assert.equal(sub.status, 201);
    assert.equal(sub.json.secret, undefined, "the secret is not echoed");
    assert.deepEqual((await call("GET", "/api/webhooks")).json.data, [{ id: sub.json.id, url: `${origin}/hook` }]);
    const made = await call("POST", "/api/contacts", { first_name: "Åse", email: "ase@example.com" });
    await call("PATCH", `/api/contacts/${made.json.id}`, { phone: "+47 912 34 567" });
    await call("DELETE", `/api/contacts/${made.json.id}`);
    await cp.notifications.idle();
    const bodies = got.map((g) => JSON.parse(g.body));
    assert.deepEqual(bodies.map((b) => [b.type, b.id, b.change]).sort(), [
      ["contacts", made.json.id, "created"], ["contacts", made.json.id, "deleted"], ["contacts", made.json.id, "updated"],
    ]);
    assert.ok(bodies.every((b) => /^\d+$/.test(b.cursor)));
    for (const g of got) {
      assert.ok(Math.abs(Number(g.ts) - Date.now() / 1000) < 5);
      assert.equal(g.sig, `sha256=${createHmac("sha256", SECRET).update(`${g.ts}.${g.body}`).digest("hex")}`);
    }
    assert.equal(cp.notifications.stats.retried, 1);
    assert.equal((await call("DELETE", `/api/webhooks/${sub.json.id}`)).status, 200);
    await call("PATCH", `/api/contacts/${made.json.id}`, { phone: "+47 000" });
    await cp.notifications.idle();
    assert.equal(got.length, 3, "no notification after the subscription is gone");
  } finally {
    await close(receiver);
  }
});
