// The Sesam endpoints' protocols, through a client of our own (src/sesam/client.mjs) that sends what
// Sesam's json sink and json source send: the JSON push protocol (full syncs over several requests,
// incremental pushes, deletes, deletion by absence, every 409), the JSON pull protocol (since, limit),
// typed strings and namespaces both ways, and what is refused.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Store } from "../src/app/store/store.mjs";
import { startSesamServer } from "../src/sesam/server.mjs";
import { SesamProtocolClient } from "../src/sesam/client.mjs";
import { SesamCustomerpClient } from "../src/app/clients/sesam-customerp.mjs";
import { decodeString, encodeWith, utcInstant } from "../src/sesam/typed.mjs";
import { mergePushed } from "../src/sesam/entities.mjs";
import { pushDecision } from "../src/sesam/protocol.mjs";
import { testDb, rows } from "./helpers.mjs";

const TOKEN = "sesam-protocol-test-token-Å1";
const CONTACTS = "/receivers/customerp-contacts/entities";
const CONTACT_CHANGES = "/datasets/customerp-contacts-changes/entities";

/** @type {Store} */
let store;
/** @type {Awaited<ReturnType<typeof startSesamServer>>} */
let server;
/** @type {SesamProtocolClient} */
let sesam;
/** @type {SesamCustomerpClient} */
let erp;

before(async () => {
  store = await Store.open(await testDb());
  server = await startSesamServer({ store, token: TOKEN });
  sesam = new SesamProtocolClient({ url: server.url, token: TOKEN });
  erp = new SesamCustomerpClient({ store });
});
after(async () => {
  await server.close();
  await store.close();
});

/** The replica's contacts by id, as the sync reads them. */
const contacts = async () => Object.fromEntries((await erp.changes("contacts", null)).records.map((r) => [r.id, r]));

/** @param {string} id @param {string} name @param {Record<string, unknown>} [more] */
const contact = (id, name, more = {}) => ({ _id: id, first_name: name, email: `${id}@example.no`, updated: "~t2026-03-01T09:00:00Z", ...more });

test("without the token, or with another scheme, every endpoint answers 401; the scheme's case does not matter", async () => {
  for (const [method, path] of /** @type {const} */ ([["POST", CONTACTS], ["GET", CONTACT_CHANGES], ["GET", "/nope"]])) {
    for (const headers of [/** @type {Record<string, string>} */ ({}), { authorization: "Bearer wrong-token-wrong-token" }, { authorization: `Basic ${Buffer.from(`${TOKEN}:`).toString("base64")}` }]) {
      const res = await fetch(`${server.url}${path}`, { method, headers: { "content-type": "application/json", ...headers }, body: method === "POST" ? "[]" : undefined });
      assert.equal(res.status, 401, `${method} ${path} ${JSON.stringify(headers)}`);
      assert.equal((await res.json()).error.code, "unauthorized");
      assert.equal(res.headers.get("www-authenticate"), "Bearer");
    }
  }
  for (const scheme of ["Bearer", "bearer", "BEARER"]) {
    const res = await fetch(`${server.url}${CONTACT_CHANGES}`, { headers: { authorization: `${scheme} ${TOKEN}` } });
    assert.equal(res.status, 200, scheme);
  }
});

test("a full sync over several requests (is_first … is_last), then an incremental push, a delete, and a full sync that leaves a record out", async () => {
  const first = await sesam.fullSync(CONTACTS, [contact("1", "Åse"), contact("2", "Jürgen"), contact("3", "太郎"), contact("4", "Zoë"), contact("5", "Łukasz")], { batchSize: 2, sequenceId: "seq-1" });
  assert.deepEqual(first.map((a) => a.status), [200, 200, 200]);
  assert.deepEqual(first.map((a) => a.body.created), [2, 2, 1]);
  let all = await contacts();
  assert.deepEqual(Object.keys(all).sort(), ["1", "2", "3", "4", "5"]);
  assert.deepEqual(all["3"], { first_name: "太郎", email: "3@example.no", updated: "2026-03-01T09:00:00Z", id: "3", deleted: false });

  // The same full sync again changes nothing: no record's version or change cursor moves.
  const before = (await erp.changes("contacts", null)).cursor;
  const again = await sesam.fullSync(CONTACTS, [contact("1", "Åse"), contact("2", "Jürgen"), contact("3", "太郎"), contact("4", "Zoë"), contact("5", "Łukasz")], { batchSize: 5 });
  assert.equal(again[0].body.unchanged, 5);
  assert.equal((await erp.changes("contacts", null)).cursor, before);

  // Incremental: one changed, one new; the request's other parameters are ignored.
  const inc = await sesam.post(CONTACTS, [contact("2", "Jürgen", { phone: "+49 221 555" }), contact("6", "Siobhán")], { is_full: false, sequence_id: "whatever", request_id: "7", unknown_param: "x" });
  assert.equal(inc.status, 200);
  assert.deepEqual([inc.body.updated, inc.body.created], [1, 1]);
  const since = await erp.changes("contacts", before);
  assert.deepEqual(since.records.map((r) => r.id), ["2", "6"]);

  // A delete: an entity with _deleted (the ERP's tombstone may carry only its _id).
  assert.equal((await sesam.incremental(CONTACTS, [{ _id: "4", _deleted: true }])).status, 200);
  all = await contacts();
  assert.equal(all["4"].deleted, true);
  assert.equal(all["4"].first_name, "Zoë", "a tombstone keeps the record");

  // A full sync without 5: deleted at is_last, not before.
  const seq = [contact("1", "Åse"), contact("2", "Jürgen", { phone: "+49 221 555" }), contact("3", "太郎"), contact("6", "Siobhán")];
  const r1 = await sesam.post(CONTACTS, seq.slice(0, 2), { sequence_id: "seq-3", is_full: true, request_id: "a", is_first: true });
  assert.equal(r1.status, 200);
  assert.equal((await contacts())["5"].deleted, false, "not deleted before the sequence ends");
  const r2 = await sesam.post(CONTACTS, seq.slice(2), { sequence_id: "seq-3", is_full: true, request_id: "b", previous_request_id: "a", is_last: true });
  assert.equal(r2.status, 200);
  assert.equal(r2.body.deleted, 1);
  all = await contacts();
  assert.equal(all["5"].deleted, true);
  assert.equal(all["4"].deleted, true);
  assert.deepEqual(Object.values(all).filter((r) => !r.deleted).map((r) => r.id).sort(), ["1", "2", "3", "6"]);
  // A tombstone the ERP brings back is live again.
  await sesam.incremental(CONTACTS, [contact("5", "Łukasz")]);
  assert.equal((await contacts())["5"].deleted, false);
});

test("409: previous_request_id that does not match, is_full changing within a sequence, is_first late, a sequence not begun or ended", async () => {
  const push = (/** @type {Record<string, string | boolean | undefined>} */ p) => sesam.post(CONTACTS, [contact("1", "Åse")], p);
  assert.equal((await push({ sequence_id: "s", is_full: true, request_id: "1", is_first: true })).status, 200);
  const wrongPrevious = await push({ sequence_id: "s", is_full: true, request_id: "2", previous_request_id: "0" });
  assert.equal(wrongPrevious.status, 409);
  assert.equal(wrongPrevious.body.error.code, "conflict");
  assert.match(wrongPrevious.body.error.message, /previous_request_id "0" is not the request_id of the sequence's previous request \("1"\)/);
  const noPrevious = await push({ sequence_id: "s", is_full: true, request_id: "2" });
  assert.equal(noPrevious.status, 409);
  const notFull = await push({ sequence_id: "s", is_full: false, request_id: "2", previous_request_id: "1" });
  assert.equal(notFull.status, 409);
  assert.match(notFull.body.error.message, /is_full is false in sequence "s"/);
  const late = await push({ sequence_id: "s", is_full: true, request_id: "2", previous_request_id: "1", is_first: true });
  assert.equal(late.status, 409);
  assert.match(late.body.error.message, /is_first=true in sequence "s", which began 1 request ago/);
  // A refused request changes nothing: the sequence goes on from request 1.
  assert.equal((await push({ sequence_id: "s", is_full: true, request_id: "2", previous_request_id: "1" })).status, 200);
  assert.equal((await push({ sequence_id: "s", is_full: true, request_id: "3", previous_request_id: "2", is_last: true })).status, 200);
  const ended = await push({ sequence_id: "s", is_full: true, request_id: "4", previous_request_id: "3" });
  assert.equal(ended.status, 409);
  assert.match(ended.body.error.message, /not active \(it ended with is_last\)/);
  const unknown = await push({ sequence_id: "never-begun", is_full: true, request_id: "2", previous_request_id: "1" });
  assert.equal(unknown.status, 409);
  assert.match(unknown.body.error.message, /its is_first request was not received/);
  // A new sequence replaces the active one, which cannot be continued after.
  assert.equal((await push({ sequence_id: "a", is_full: true, request_id: "1", is_first: true })).status, 200);
  assert.equal((await push({ sequence_id: "b", is_full: true, request_id: "1", is_first: true })).status, 200);
  assert.equal((await push({ sequence_id: "a", is_full: true, request_id: "2", previous_request_id: "1" })).status, 409);
  // An incremental push in the middle is taken and leaves the sequence as it was.
  assert.equal((await sesam.incremental(CONTACTS, [contact("1", "Åse")])).status, 200);
  assert.equal((await push({ sequence_id: "b", is_full: true, request_id: "2", previous_request_id: "1", is_last: true })).status, 200);
  // The rules on their own.
  const open = { sequence_id: "x", is_full: 1, last_request_id: "3", requests: 3, finished: null };
  const p = { sequenceId: "x", isFull: true, requestId: "4", previousRequestId: "3", isFirst: false, isLast: false };
  assert.deepEqual(pushDecision(open, p), { mode: "full", first: false, last: false });
  assert.ok("conflict" in pushDecision(open, { ...p, previousRequestId: "2" }));
  assert.deepEqual(pushDecision(open, { ...p, isFull: false, sequenceId: "other" }), { mode: "incremental" });
  assert.ok("conflict" in pushDecision(open, { ...p, isFirst: true }));
});

test("query booleans in any case (true, True, TRUE); another value is 400; unknown parameters are ignored", async () => {
  for (const [v, n] of [["true", 1], ["True", 2], ["TRUE", 3]]) {
    const res = await fetch(`${server.url}${CONTACTS}?is_full=${v}&sequence_id=b${n}&request_id=1&is_first=${v}&is_last=${v}&foo=bar`, {
      method: "POST", body: JSON.stringify([contact("1", "Åse"), contact("2", "Jürgen", { phone: "+49 221 555" }), contact("3", "太郎"), contact("5", "Łukasz"), contact("6", "Siobhán")]),
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    });
    assert.equal(res.status, 200, String(v));
    assert.equal((await res.json()).mode, "full");
  }
  const bad = await sesam.post(CONTACTS, [], { is_full: "yes" });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, "invalid_parameter");
  assert.equal(bad.body.error.parameter, "is_full");
  const noSequence = await sesam.post(CONTACTS, [], { is_full: true });
  assert.equal(noSequence.status, 400);
  assert.equal(noSequence.body.error.parameter, "sequence_id");
});

test("typed strings and namespaced keys are read; the pull dataset writes them back as they came, non-ASCII text unchanged", async () => {
  const pushed = {
    _id: "customerp-contact:7", "customerp-contact:first_name": "François", "customerp-contact:last_name": "Lefèvre — 山田 🎉",
    "customerp-contact:email": "francois@example.fr", "customerp-contact:updated": "~t2026-03-01T09:15:00.123456789Z",
    "customerp-contact:customer_id": "~:customerp-customer:5", "customerp-contact:birthday": "~t1990-05-17", "customerp-contact:credit": "~f12345678901234567890.1234567890",
    "customerp-contact:avatar": "~bAAECAwQF", "customerp-contact:key": "~u531a379e-31bb-4ce1-8690-158dceb64be6", "customerp-contact:site": "~rhttp://www.sesam.io/",
    "customerp-contact:tilde": "~x not a type", "customerp-contact:address": { street_1: "12 Rue de la République", city: "Lyon" },
    "other-system:note": "kept as it is", _updated: 17, _ts: 1489654249474509, _hash: "8b48c6574f7e8474194090eb9123666e", $replaced: false,
  };
  assert.equal((await sesam.incremental(CONTACTS, [pushed])).status, 200);
  const got = await erp.get("contacts", "7");
  assert.deepEqual(got?.record, {
    first_name: "François", last_name: "Lefèvre — 山田 🎉", email: "francois@example.fr", updated: "2026-03-01T09:15:00.123456789Z", customer_id: "5",
    birthday: "1990-05-17", credit: "12345678901234567890.1234567890", avatar: "AAECAwQF", key: "531a379e-31bb-4ce1-8690-158dceb64be6",
    site: "http://www.sesam.io/", tilde: "~x not a type", address: { street_1: "12 Rue de la République", city: "Lyon" }, "other-system:note": "kept as it is",
    id: "7", deleted: false,
  });
  // The sync changes the last name: the change entity carries every value typed as it came.
  await erp.update("contacts", "7", { last_name: "Lefèvre-Ørsted" }, got?.etag);
  const { entities } = await sesam.get(CONTACT_CHANGES);
  const e = entities.find((x) => x._id === "customerp-contact:7");
  assert.deepEqual({ ...e, _updated: undefined }, {
    _id: "customerp-contact:7", _deleted: false, sesam_change: "update", _updated: undefined,
    id: "7", first_name: "François", last_name: "Lefèvre-Ørsted", email: "francois@example.fr", customer_id: "~:customerp-customer:5",
    birthday: "~t1990-05-17", credit: "~f12345678901234567890.1234567890", avatar: "~bAAECAwQF", key: "~u531a379e-31bb-4ce1-8690-158dceb64be6",
    site: "~rhttp://www.sesam.io/", tilde: "~x not a type", address: { street_1: "12 Rue de la République", city: "Lyon" }, "other-system:note": "kept as it is",
    $based_on: { last_name: "Lefèvre — 山田 🎉" }, $based_on_properties: ["last_name"],
  });
  // The typed strings on their own.
  assert.deepEqual(decodeString("~t2026-02-30"), { value: "~t2026-02-30", prefix: "" }, "not a date: a plain string");
  assert.deepEqual(decodeString("~t2026-03-01T10:15:00+01:00"), { value: "~t2026-03-01T10:15:00+01:00", prefix: "" }, "Sesam's datetimes are UTC");
  assert.deepEqual(decodeString("~t2026-03-01T09:15:00Z", { side: "chargebee" }), { value: 1772356500, prefix: "~t" });
  assert.equal(encodeWith("2026-03-01T10:15:00+01:00", "~t"), "~t2026-03-01T09:15:00Z");
  assert.equal(utcInstant("2026-03-01T00:15:00.5+01:00"), "2026-02-28T23:15:00.5Z");
  assert.equal(encodeWith("12.50", "~f"), "~f12.50");
  assert.equal(encodeWith("not a number", "~f"), "not a number");
});

test("the pull dataset: since is exclusive, limit pages it, X-Dataset-Max-Updated is the last _updated; a bad since is 400", async () => {
  for (const id of ["1", "2", "3"]) {
    const got = await erp.get("contacts", id);
    await erp.update("contacts", id, { job_title: `title ${id}` }, got?.etag);
  }
  const all = await sesam.get(CONTACT_CHANGES);
  assert.equal(all.status, 200);
  const ids = all.entities.map((e) => e._updated);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), "oldest first");
  assert.equal(all.maxUpdated, ids.at(-1));
  const paged = await sesam.pullAll(CONTACT_CHANGES, { pageSize: 1 });
  assert.deepEqual(paged.entities, all.entities);
  assert.equal(paged.pages, all.entities.length + 1);
  const tail = await sesam.get(CONTACT_CHANGES, { since: ids[0], limit: 2 });
  assert.deepEqual(tail.entities.map((e) => e._updated), ids.slice(1, 3));
  const none = await sesam.get(CONTACT_CHANGES, { since: /** @type {number} */ (all.maxUpdated) });
  assert.deepEqual(none.entities, []);
  // A record changed again has one entity, at its newest version.
  const again = await erp.get("contacts", "1");
  await erp.update("contacts", "1", { job_title: "Innkjøpssjef" }, again?.etag);
  const after = await sesam.get(CONTACT_CHANGES, { since: /** @type {number} */ (all.maxUpdated) });
  assert.deepEqual(after.entities.map((e) => [e._id, e.job_title]), [["customerp-contact:1", "Innkjøpssjef"]]);
  assert.equal((await sesam.get(CONTACT_CHANGES)).entities.filter((e) => e._id === "customerp-contact:1").length, 1);
  for (const since of ["abc", "-1", "1.5"]) {
    const bad = await sesam.get(CONTACT_CHANGES, { since });
    assert.equal(bad.status, 400, since);
    assert.equal(/** @type {any} */ (bad.entities).error.parameter, "since");
  }
  assert.equal((await sesam.get(CONTACT_CHANGES, { limit: 0 })).status, 400);
  assert.equal((await sesam.get(CONTACT_CHANGES, { since: 0, limit: 1 })).entities.length, 1);
});

test("what is refused: another content type, bad JSON, an entity without _id, another method, an unknown type", async () => {
  const raw = (/** @type {string} */ path, /** @type {RequestInit} */ init) => fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...init.headers } });
  assert.equal((await raw(CONTACTS, { method: "POST", body: "[]", headers: { "content-type": "text/plain" } })).status, 415);
  const badJson = await raw(CONTACTS, { method: "POST", body: "[{\"_id\": }]" });
  assert.equal(badJson.status, 400);
  assert.equal((await badJson.json()).error.code, "invalid_json");
  const noId = await sesam.incremental(CONTACTS, [contact("1", "Åse"), { first_name: "no id" }]);
  assert.equal(noId.status, 400);
  assert.deepEqual([noId.body.error.code, noId.body.error.index], ["invalid_entity", 1]);
  assert.equal((await raw(CONTACTS, { method: "GET" })).status, 405);
  assert.equal((await raw(CONTACT_CHANGES, { method: "POST", body: "[]" })).status, 405);
  assert.equal((await raw("/receivers/customerp-invoices/entities", { method: "POST", body: "[]" })).status, 404);
  assert.equal((await raw(CONTACTS, { method: "POST", body: "[]", headers: { origin: "https://evil.example" } })).status, 403);
  // A single entity (not in an array) is taken, as Sesam's own receivers take it.
  assert.equal((await raw(CONTACTS, { method: "POST", body: JSON.stringify(contact("8", "Ola")) })).status, 200);
});

test("the ERP's state merged with what the sync wants: done, still to do, or changed in the ERP since", () => {
  const base = { id: "1", phone: "1", city: "Oslo", name: "A", updated: "t1" };
  const desired = { id: "1", phone: "2", city: "Oslo", name: "B", updated: "t1" };
  // phone made in the ERP, name not yet, city changed by the ERP on its own
  assert.deepEqual(mergePushed({ id: "1", phone: "2", city: "Bergen", name: "A", updated: "t2" }, base, desired), { id: "1", phone: "2", city: "Bergen", name: "B", updated: "t2" });
  // name changed in the ERP to a third value: the ERP's, the sync's write is gone
  assert.deepEqual(mergePushed({ id: "1", phone: "1", city: "Oslo", name: "C", updated: "t3" }, base, desired), { id: "1", phone: "2", city: "Oslo", name: "C", updated: "t3" });
});

test("every table of the replica carries its tenant", async () => {
  for (const t of ["sesam_records", "sesam_changes", "sesam_moves", "sesam_sequences", "sesam_push"]) {
    const r = await rows(store, `SELECT count(*) AS n FROM ${t} WHERE tenant <> ''`);
    assert.equal(Number(r[0].n), 0, t);
  }
  // Another tenant of the same store sees none of them.
  const other = new SesamCustomerpClient({ store: store.forTenant("other") });
  assert.deepEqual((await other.changes("contacts", null)).records, []);
});
