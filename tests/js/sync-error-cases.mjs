// The SyncError cases of sync-error.test.mjs and web.test.mjs, run in Node and in Chromium alike (no
// Node APIs here): a call of every exported function that must throw, and a planBatch with one bad slot.
// Each row says what was thrown, checked against the `SyncError` class of the same entry (`api`).

/** @param {Record<string, any>} api the package as one entry exports it */
export function syncErrorRows(api) {
  const { SyncError } = api;
  const bad = { customerp: { id: "19", first_name: "Åse", updated: "2024-13-01T00:00:00Z" }, chargebee: null, base: null };
  const good = { customerp: { id: "20", first_name: "Ørjan", email: "orjan@example.com" }, chargebee: null, base: null };
  const calls = {
    flows: () => api.flows({ mappings: { "contact-customer": [{ customerp: "vat_id" }] } }),
    toChargebee: () => api.toChargebee("contact-customer", { id: "17", email: 42 }),
    toCustomerp: () => api.toCustomerp("no-such-flow", {}),
    match: () => api.match("contact-customer", "not a list", []),
    plan: () => api.plan("contact-customer", bad),
    planBatch: () => api.planBatch("contact-customer", "not a list"),
    encodeForm: () => api.encodeForm({ amount: 10n }),
    dataflowDocument: () => api.dataflowDocument("html"),
  };
  const row = (call, e) => ({
    call,
    classIsFunction: typeof SyncError === "function",
    classExtendsError: typeof SyncError === "function" && Object.getPrototypeOf(SyncError.prototype) === Error.prototype,
    instanceOfSyncError: typeof SyncError === "function" && e instanceof SyncError,
    instanceOfError: e instanceof Error,
    name: e?.name,
    json: JSON.parse(JSON.stringify(e ?? null)),
  });
  const rows = Object.entries(calls).map(([call, fn]) => {
    try {
      fn();
      return { call, threw: false };
    } catch (e) {
      return row(call, e);
    }
  });
  const slots = api.planBatch("contact-customer", [good, bad]);
  rows.push({ ...row("planBatch slot", slots[1].error), ok: slots[1].ok, firstSlotOk: slots[0].ok });
  return rows;
}

/** The checks of every row (node:assert's strict API, passed in so this file stays browser-safe). */
export function checkSyncErrorRows(assert, rows, where) {
  assert.deepEqual(rows.map((r) => r.call), ["flows", "toChargebee", "toCustomerp", "match", "plan", "planBatch",
    "encodeForm", "dataflowDocument", "planBatch slot"], where);
  for (const r of rows) {
    const at = `${where}: ${r.call}`;
    assert.notEqual(r.threw, false, `${at} did not throw`);
    assert.equal(r.classIsFunction, true, `${at}: the entry exports no SyncError class`);
    assert.equal(r.classExtendsError, true, `${at}: SyncError does not extend Error`);
    assert.equal(r.instanceOfSyncError, true, `${at}: not instanceof SyncError`);
    assert.equal(r.instanceOfError, true, `${at}: not instanceof Error`);
    assert.equal(r.name, "SyncError", at);
    // JSON.stringify keeps the fields (own enumerable properties).
    assert.equal(r.json.name, "SyncError", at);
    assert.match(r.json.code, /^[a-z_]+$/, at);
    assert.equal(typeof r.json.message, "string", at);
    assert.ok(r.json.message.length > 0, at);
    assert.equal(typeof r.json.path, "string", at);
  }
  const plan = rows.find((r) => r.call === "plan");
  assert.deepEqual(plan.json, rows.at(-1).json, `${where}: a bad slot holds the error plan throws for it`);
  assert.equal(plan.json.path, "/customerp/updated", where);
  assert.equal(plan.json.recordId, "19", where);
  assert.equal(plan.json.flow, "contact-customer", where);
  assert.equal(rows.at(-1).ok, false, where);
  assert.equal(rows.at(-1).firstSlotOk, true, where);
}
