// The bad inputs only JS can make (lone UTF-16 surrogates, BigInt, cycles, throwing getters,
// functions, NaN, `__proto__` own keys), against the package by name, plus form-encoding
// injection decoded with a standard parser (URLSearchParams). Each bad call must throw a SyncError
// with the documented code and path, the next call on the same instance must work, and no output
// may carry or cause a polluted prototype. The JSON-expressible corpus is tests/corpus/ (run natively,
// in Node and in Chromium by the Rust suites).
import { test } from "node:test";
import assert from "node:assert/strict";
import { plan, planBatch, planUndo, toChargebee, toCustomerp, match, Matcher, encodeForm } from "customerp-chargebee";

const contact = () => ({
  id: "17", first_name: "Åse", last_name: "Ødegård", email: "ase.odegard@example.no",
  address: { street_1: "Storgata 1", city: "Oslo", country: "NO" },
  updated: "2026-03-01T10:15:00+01:00",
});
const product = () => ({ id: "P-1", sku: "KIT-1", name: "Kit", kind: "goods", price: "10", currency: "USD" });
const protoNames = () => Object.getOwnPropertyNames(Object.prototype).sort();
const before = protoNames();

function clean(where) {
  assert.deepEqual(protoNames(), before, `${where}: Object.prototype changed`);
  for (const k of ["polluted", "readOnly", "first_name", "isAdmin"]) assert.equal(({})[k], undefined, `${where}: ({}).${k} is inherited`);
}

function nextCallWorks(where) {
  const p = plan("contact-customer", { customerp: contact() });
  assert.equal(p.chargebee.action, "create", `${where}: the next call failed`);
  clean(where);
}

function throwsSync(where, fn, code, path) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof Error, `${where}: not an Error: ${e}`);
    assert.equal(e.name, "SyncError", `${where}: ${e.name}: ${e.message}`);
    assert.equal(e.code, code, `${where}: code ${e.code} (${e.message})`);
    if (path instanceof RegExp) assert.match(e.path, path, `${where}: path ${e.path}`);
    else assert.equal(e.path, path, `${where}: path ${e.path} (${e.message})`);
    assert.ok(e.message.length > 0);
    return true;
  });
  nextCallWorks(where);
}

test("lone UTF-16 surrogates are typed errors at the field", () => {
  for (const s of ["\uD800", "x\uDBFFy", "\uDC00", "ok\uDFFF"]) {
    throwsSync(`first_name ${JSON.stringify(s)}`, () => plan("contact-customer", { customerp: { ...contact(), first_name: s } }),
      "invalid_value", "/customerp/first_name");
  }
  throwsSync("surrogate in a Chargebee resource", () => toCustomerp("contact-customer", { id: "c", last_name: "a\uD83D" }),
    "invalid_value", "/chargebee/last_name");
  throwsSync("surrogate in a key", () => toChargebee("contact-customer", { ...contact(), ["k\uD800"]: 1 }), "invalid_value", /^\/customerp/);
  throwsSync("surrogate in options", () => plan("contact-customer", { customerp: contact() }, { timeZone: "\uDC00" }), "invalid_options", /^\/options/);
  // A proper pair is fine.
  const p = plan("contact-customer", { customerp: { ...contact(), first_name: "Åse 😀" } });
  assert.equal(p.chargebee.requests[0].params.first_name, "Åse 😀");
});

test("BigInt, cycles, throwing getters and functions are typed errors, never traps", () => {
  throwsSync("BigInt id", () => plan("contact-customer", { customerp: { ...contact(), id: 17n } }), "invalid_type", "");
  throwsSync("BigInt record", () => toChargebee("contact-customer", { ...contact(), id: 17n }), "invalid_type", "/customerp");
  const cyclic = contact();
  cyclic.self = cyclic;
  throwsSync("cyclic record", () => plan("contact-customer", { customerp: cyclic }), "invalid_value", "");
  // match reads its lists one record at a time, so the error names the record
  throwsSync("cyclic match list", () => match("contact-customer", [{ id: "1" }, cyclic], []), "invalid_value", "/customerp/1");
  const getter = { get id() { throw new Error("boom"); } };
  throwsSync("throwing getter", () => toChargebee("contact-customer", getter), "invalid_value", "/customerp");
  throwsSync("a function as the record", () => toChargebee("contact-customer", () => 1), "invalid_type", "/customerp");
  throwsSync("a symbol as the input", () => plan("contact-customer", Symbol("x")), "invalid_type", "");
  throwsSync("BigInt option", () => plan("contact-customer", { customerp: contact() }, { idPrefix: 1n }), "invalid_options", "/options");
  let deep = {};
  for (let i = 0; i < 200000; i++) deep = { a: deep };
  throwsSync("200 000-deep object", () => plan("contact-customer", { customerp: { ...contact(), x: deep } }), "invalid_value", /^(\/customerp\/x(\/a)*)?$/);
});

test("planBatch: a slot JS cannot serialise fails alone", () => {
  const out = planBatch("contact-customer", [{ customerp: contact() }, { customerp: { ...contact(), id: 18n } }, { customerp: { ...contact(), id: "19" } }]);
  assert.equal(out.length, 3);
  assert.equal(out[0].ok, true);
  assert.equal(out[1].ok, false);
  assert.equal(out[1].error.name, "SyncError");
  assert.equal(out[1].error.code, "invalid_type");
  assert.equal(out[2].ok, true);
  assert.equal(out[2].plan.link.chargebee, "cp-contact-19");
  nextCallWorks("planBatch");
});

test("NaN and ±Infinity are typed errors at the field, never read as absent, in every function and on both sides", () => {
  const cb = () => ({ id: "cb_1", first_name: "Alex", email: "alex@example.com", updated_at: 1741179520,
    billing_address: { city: "Oslo", country: "NO" } });
  const finite = /^\/.+: (NaN|-?Infinity) is not a finite number/;
  for (const [name, n] of [["NaN", NaN], ["Infinity", Infinity], ["-Infinity", -Infinity]]) {
    const bad = (where, fn, code, path) => {
      throwsSync(`${where} ${name}`, fn, code, path);
      try { fn(); } catch (e) { assert.match(e.message, finite, `${where} ${name}: ${e.message}`); assert.ok(e.message.includes(name)); }
    };
    bad("plan customerp.updated", () => plan("contact-customer", { customerp: { ...contact(), updated: n } }), "invalid_value", "/customerp/updated");
    bad("plan customerp.address.city", () => plan("contact-customer", { customerp: { ...contact(), address: { ...contact().address, city: n } } }),
      "invalid_value", "/customerp/address/city");
    bad("plan chargebee.updated_at", () => plan("contact-customer", { customerp: null, chargebee: { ...cb(), updated_at: n } }), "invalid_value", "/chargebee/updated_at");
    bad("plan chargebee.billing_address.city", () => plan("contact-customer", { customerp: null, chargebee: { ...cb(), billing_address: { city: n } } }),
      "invalid_value", "/chargebee/billing_address/city");
    bad("plan id", () => plan("contact-customer", { customerp: { ...contact(), id: n } }), "invalid_value", "/customerp/id");
    bad("plan price", () => plan("product-item", { customerp: { ...product(), price: n } }, { itemFamilyId: "hw" }), "invalid_value", "/customerp/price");
    bad("plan in a list", () => plan("contact-customer", { customerp: { ...contact(), x: [null, 1, n] } }), "invalid_value", "/customerp/x/2");
    bad("plan base", () => plan("contact-customer", { customerp: contact(), base: { version: 1, customerp: { email: n } } }), "invalid_value", "/base/customerp/email");
    bad("plan option", () => plan("contact-customer", { customerp: contact() }, { idPrefix: n }), "invalid_options", "/options/idPrefix");
    bad("toChargebee updated", () => toChargebee("contact-customer", { ...contact(), updated: n }), "invalid_value", "/customerp/updated");
    bad("toCustomerp billing_address.city", () => toCustomerp("contact-customer", { ...cb(), billing_address: { city: n } }),
      "invalid_value", "/chargebee/billing_address/city");
    bad("match customerp", () => match("contact-customer", [contact(), { ...contact(), id: "18", updated: n }], [cb()]), "invalid_value", "/customerp/1/updated");
    bad("match chargebee", () => match("contact-customer", [contact()], [cb(), { ...cb(), id: "cb_2", billing_address: { city: n } }]),
      "invalid_value", "/chargebee/1/billing_address/city");
    bad("encodeForm", () => encodeForm({ billing_address: { city: n } }), "invalid_value", "/billing_address/city");
    // planBatch: the slot fails, with its own path, and the others are planned.
    const out = planBatch("contact-customer", [{ customerp: contact() }, { customerp: { ...contact(), id: "18", updated: n } },
      { customerp: null, chargebee: { ...cb(), billing_address: { city: n } } }, { customerp: { ...contact(), id: "19", phone: null } }]);
    assert.deepEqual(out.map((r) => r.ok), [true, false, false, true], name);
    for (const [i, path] of [[1, "/customerp/updated"], [2, "/chargebee/billing_address/city"]]) {
      assert.equal(out[i].error.name, "SyncError");
      assert.equal(out[i].error.code, "invalid_value", `slot ${i} ${name}`);
      assert.equal(out[i].error.path, path, `slot ${i} ${name}`);
      assert.match(out[i].error.message, finite);
    }
    const whole = planBatch("contact-customer", [n, { customerp: contact() }]);
    assert.equal(whole[0].error.code, "invalid_value");
    assert.equal(whole[0].error.path, "");
    assert.equal(whole[1].ok, true);
    nextCallWorks(`planBatch ${name}`);
  }
  // null stays null: an absent value, as before.
  const p = plan("contact-customer", { customerp: { ...contact(), phone: null, x: [null, undefined] }, chargebee: null, base: null });
  assert.equal(p.chargebee.action, "create");
  // A string "NaN" is text, refused where a number is wanted.
  throwsSync("price string 'NaN'", () => plan("product-item", { customerp: { ...product(), price: "NaN" } }, { itemFamilyId: "hw" }),
    "invalid_value", "/customerp/price");
});

test("lone surrogates are typed errors at the field in planBatch slots and match lists too", () => {
  const out = planBatch("contact-customer", [{ customerp: contact() }, { customerp: { ...contact(), id: "18", address: { city: "\uD800" } } }]);
  assert.equal(out[0].ok, true);
  assert.equal(out[1].error.code, "invalid_value");
  assert.equal(out[1].error.path, "/customerp/address/city");
  throwsSync("match customerp", () => match("contact-customer", [contact(), { ...contact(), id: "18", last_name: "\uDC00" }], []),
    "invalid_value", "/customerp/1/last_name");
  throwsSync("match chargebee", () => match("contact-customer", [contact()], [{ id: "cb_1", billing_address: { city: "a\uD83D" } }]),
    "invalid_value", "/chargebee/0/billing_address/city");
});

test("__proto__ and constructor keys: own keys in, own keys out, no prototype touched", () => {
  // JSON.parse makes "__proto__" an own key (as a connector's JSON would); it is an unknown field.
  const rec = JSON.parse(`{"id": "17", "email": "a@example.com", "__proto__": {"first_name": 5, "polluted": true},
    "constructor": {"prototype": {"polluted": true}}}`);
  const p = plan("contact-customer", { customerp: rec });
  assert.equal(p.chargebee.action, "create");
  assert.equal(p.chargebee.requests[0].params.first_name, undefined, "__proto__ contents were read as fields");
  clean("record with __proto__");
  throwsSync("links keyed __proto__", () => plan("contact-customer", JSON.parse(`{"customerp": {"id": "1"}, "links": {"__proto__": {"1": "x"}}}`)),
    "unknown_flow", "/links/__proto__");
  throwsSync("option __proto__", () => plan("contact-customer", { customerp: contact() }, JSON.parse(`{"__proto__": {"readOnly": ["chargebee"]}}`)),
    "invalid_options", "/options/__proto__");
  throwsSync("propertyWinners __proto__", () => plan("contact-customer", { customerp: contact() }, JSON.parse(`{"propertyWinners": {"__proto__": "customerp"}}`)),
    "invalid_options", "/options/propertyWinners/__proto__");
  // A Chargebee meta_data with a "__proto__" key is written back whole: an own key of a plain object.
  const cb = JSON.parse(`{"id": "cb_1", "email": "a@example.com", "updated_at": 1780000000,
    "meta_data": {"__proto__": {"polluted": true}, "crm": "x"}}`);
  const p2 = plan("contact-customer", { customerp: { ...contact(), email: "a@example.com" }, chargebee: cb });
  const req = p2.chargebee.requests.find((r) => r.params.meta_data);
  assert.ok(req, JSON.stringify(p2.chargebee));
  const meta = req.params.meta_data;
  assert.equal(Object.getPrototypeOf(meta), Object.prototype);
  assert.ok(Object.hasOwn(meta, "__proto__"), "the key was kept as an own key");
  assert.equal(meta.polluted, undefined);
  clean("meta_data with __proto__");
  // An object literal's __proto__ sets the prototype instead: JSON drops it, as JSON.stringify does.
  const lit = plan("contact-customer", { customerp: contact() }, { __proto__: { readOnly: ["chargebee"] } });
  assert.equal(lit.chargebee.action, "create", "inherited options are not options");
  // Every output object is a plain object.
  const walk = (v, at) => {
    if (v && typeof v === "object") {
      const proto = Object.getPrototypeOf(v);
      assert.ok(proto === Object.prototype || proto === Array.prototype, `${at}: prototype ${proto}`);
      for (const [k, x] of Object.entries(v)) walk(x, `${at}/${k}`);
    }
  };
  walk(p, "plan");
  walk(p2, "plan2");
  walk(toCustomerp("contact-customer", cb), "toCustomerp");
  walk(match("contact-customer", [rec], [cb]), "match");
  clean("end");
});

// ---- encodeForm injection ---------------------------------------------------------------------

const EVIL = ["a&b=c", "x=1&y=2", "[0]", "]&z[", "%", "%25", "%zz", "100%&", "line1\nline2", "cr\r\nlf", "tab\t",
  "Tromsø", "李", "😀", "é", "+plus+", " lead and trail ", "a;b", "#frag", "?q=1", "\u0000nul", "=", "&", "&&==", ""];

function decode(body) {
  return [...new URLSearchParams(body)];
}

test("encodeForm: & = [ ] % newlines and non-ASCII decode back to exactly one parameter each", () => {
  for (const v of EVIL) {
    const body = encodeForm({ first_name: v, billing_address: { city: v }, meta_data: { note: v } });
    const pairs = decode(body);
    assert.equal(pairs.length, 3, `${JSON.stringify(v)} → ${body}`);
    assert.deepEqual(pairs[0], ["first_name", v]);
    assert.deepEqual(pairs[1], ["billing_address[city]", v]);
    assert.deepEqual(pairs[2][0], "meta_data");
    assert.deepEqual(JSON.parse(pairs[2][1]), { note: v });
    // As keys too.
    const kb = encodeForm({ [v || "k"]: "1", [`x${v}`]: { [v || "k"]: v } });
    const kp = decode(kb);
    assert.equal(kp.length, 2, kb);
    assert.deepEqual(kp[0], [v || "k", "1"]);
    assert.deepEqual(kp[1], [`x${v}[${v || "k"}]`, v]);
  }
});

test("encodeForm: lists of objects and scalars keep their values, for random text", () => {
  const pool = [..."aZ09 &=[]%+\n\r\t#?;/\\\"'Øø李😀é", "\u00a0", "\u2028"];
  let seed = 42;
  const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  for (let round = 0; round < 500; round++) {
    const s = Array.from({ length: 1 + rnd(12) }, () => pool[rnd(pool.length)]).join("");
    const params = { item_prices: [{ item_price_id: s, quantity: 2 }, { item_price_id: `${s}2`, quantity: 1 }], tags: [s, "b"] };
    const pairs = decode(encodeForm(params));
    assert.deepEqual(pairs, [
      ["item_prices[item_price_id][0]", s], ["item_prices[quantity][0]", "2"],
      ["item_prices[item_price_id][1]", `${s}2`], ["item_prices[quantity][1]", "1"],
      ["tags[0]", s], ["tags[1]", "b"],
    ], JSON.stringify(s));
  }
  nextCallWorks("encodeForm");
});

test("encodeForm: a planned request's body decodes to its params", () => {
  const p = plan("contact-customer", { customerp: { ...contact(), last_name: "Smith & Sons=1&id=x[0]%20\nØ" } });
  const params = p.chargebee.requests[0].params;
  const pairs = Object.fromEntries(decode(encodeForm(params)));
  assert.equal(pairs.last_name, "Smith & Sons=1&id=x[0]%20\nØ");
  assert.equal(pairs["billing_address[city]"], "Oslo");
  assert.deepEqual(JSON.parse(pairs.meta_data), params.meta_data);
});

test("planUndo and the Matcher: cycles, throwing getters, BigInt, NaN and lone surrogates are typed errors", () => {
  const cycle = () => { const o = { id: "1" }; o.self = o; return o; };
  const getter = () => ({ id: "2", get email() { throw new Error("getter threw"); } });
  const input = { customerp: contact(), chargebee: null, base: null };
  const undoWith = (v) => ({ properties: [{ side: "customerp", property: "email", before: v, after: null }] });
  throwsSync("planUndo: a cycle", () => planUndo("contact-customer", input, cycle()), "invalid_value", "/undo");
  throwsSync("planUndo: a throwing getter", () => planUndo("contact-customer", input, getter()), "invalid_value", "/undo");
  throwsSync("planUndo: BigInt", () => planUndo("contact-customer", input, undoWith(1n)), "invalid_type", "/undo");
  throwsSync("planUndo: NaN", () => planUndo("contact-customer", input, undoWith(NaN)), "invalid_value", "/undo/properties/0/before");
  throwsSync("planUndo: a lone surrogate", () => planUndo("contact-customer", input, undoWith("a\uD800")), "invalid_value", "/undo/properties/0/before");
  throwsSync("planUndo: a prototype key", () => planUndo("contact-customer", input, JSON.parse('{"__proto__": {"release": "chargebee"}}')),
    "invalid_type", "/undo/__proto__");
  // A Matcher returns them for the records of a page, at their index, and matches the others.
  const m = new Matcher("contact-customer");
  assert.deepEqual(m.addCustomerp([{ id: "0", email: "a@example.com" }]), []);
  const errors = m.addCustomerp([cycle(), getter(), { id: 3n }, { id: "4", email: "x\uDC00" }, { id: "5", updated: Infinity }, { id: "6", email: "b@example.com" }]);
  assert.deepEqual(errors.map((e) => [e.code, e.path]), [
    ["invalid_value", "/customerp/1"], ["invalid_value", "/customerp/2"], ["invalid_type", "/customerp/3"],
    ["invalid_value", "/customerp/4/email"], ["invalid_value", "/customerp/5/updated"],
  ]);
  assert.deepEqual(m.addChargebee([{ id: "cb", email: "B@example.com" }]), []);
  assert.deepEqual(m.finish().links, [{ customerp: "6", chargebee: "cb", by: "email" }]);
  m.free();
  nextCallWorks("Matcher");
});
