// docs/sesam.md's Sesam configuration, checked: the JSON block parsed from the Markdown, every key of
// every system and pipe against a schema derived from Sesam's configuration reference (the pages are
// named beside each part of the schema; their source is the datanav/docs repository, hub/…rst), every
// system a pipe names defined, every URL answered by the running endpoints, and every key explained in
// the document's tables.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Store } from "../src/app/store/store.mjs";
import { startSesamServer } from "../src/sesam/server.mjs";
import { startTransformServer } from "../src/app/transform.mjs";
import { FLOWS } from "../src/app/flows.mjs";
import { SESAM_TYPES } from "../src/sesam/typed.mjs";
import { testDb } from "./helpers.mjs";

const DOC = readFileSync(new URL("../../docs/sesam.md", import.meta.url), "utf8");
const REF = "https://docs.sesam.io/hub/documentation/service-configuration";

/**
 * A key's type as the reference gives it: "string", "integer", "integer>=1", "number", "boolean",
 * "object", "array", a list of alternatives, or an enum `{ enum: [...] }`.
 * @typedef {string | string[] | { enum: unknown[] }} KeyType
 * @typedef {{ type: KeyType, required?: boolean }} Key
 * @typedef {{ doc: string, keys: Record<string, Key> }} Schema
 */

/** @param {KeyType} type @param {boolean} [required] @returns {Key} */
const k = (type, required = false) => ({ type, required });
const TEXT = ["string", "array"]; // "String or list of strings"

/** Systems: what every system has. ${REF}/systems/configuration-systems.html (hub/documentation/service-configuration/systems/configuration-systems.rst) */
const SYSTEM = {
  _id: k("string", true), type: k("string", true), name: k("string"), description: k(TEXT), comment: k(TEXT),
  metadata: k("object"), worker_threads: k("integer"), permissions: k("array"),
};
/** @type {Record<string, Schema>} */
const SYSTEMS = {
  // URL system: ${REF}/systems/configuration-systems-url.html (…/systems/configuration-systems-url.rst)
  "system:url": {
    doc: `${REF}/systems/configuration-systems-url.html`,
    keys: {
      ...SYSTEM, url_pattern: k("string"), base_url: k("string"), verify_ssl: k("boolean"), custom_ca_pem_chain: k("string"),
      username: k("string"), password: k("string"), jwt_token: k("string"), headers: k("object"),
      authentication: k({ enum: ["basic", "digest", "ntlm", "tripletex", "jwt"] }), oauth2: k("object"), tripletex: k("object"), proxies: k("object"),
      connect_timeout: k("integer"), read_timeout: k("integer"), ignore_invalid_content_length_response_header: k("boolean"), retry_strategy: k("object"),
    },
  },
};

/** Pipes: ${REF}/pipes/configuration-pipes.html (…/pipes/configuration-pipes.rst), its prototype adds `metadata`. */
const PIPE = {
  doc: `${REF}/pipes/configuration-pipes.html`,
  keys: {
    _id: k("string", true), type: k({ enum: ["pipe"] }, true), name: k("string"), description: k(TEXT), comment: k(TEXT), permissions: k("array"),
    batch_size: k("integer>=1"), checkpoint_interval: k("integer>=1"), disable_set_last_seen: k("boolean"), enable_background_rescan: k("boolean"),
    rescan_when_config_changes: k("boolean"), source: k("object", true), transform: k(["object", "array"]), sink: k("object"), pump: k("object"),
    infer_pipe_entity_types: k("boolean"), metadata: k("object"),
    "dependency_tracking.dependency_warning_threshold": k("integer"), "dependency_tracking.dependency_error_threshold": k("integer"),
    "dependency_tracking.dependency_warning_threshold_total_bytes": k("integer"), "dependency_tracking.dependency_error_threshold_total_bytes": k("integer"),
    "dependency_tracking.enable_hops_thresholds": k("boolean"),
  },
};

/** Every source: ${REF}/pipes/configuration-sources.html; the continuation flags (its "Continuation support"). */
const SOURCE = { type: k("string", true), comment: k(TEXT) };
const CONTINUATION = { supports_since: k("boolean"), is_since_comparable: k("boolean"), is_chronological: k("boolean") };
/** @type {Record<string, Schema>} */
const SOURCES = {
  // ${REF}/pipes/configuration-sources-dataset.html (…/pipes/configuration-sources-dataset.rst)
  dataset: {
    doc: `${REF}/pipes/configuration-sources-dataset.html`,
    keys: {
      ...SOURCE, ...CONTINUATION, dataset: k("string", true), subset: k("array"), completeness: k(["boolean", "object", "array"]), initial_completeness: k("array"),
      require_populated_input: k("boolean"), include_previous_versions: k("boolean"), include_replaced: k("boolean"), supports_signalling: k("boolean"),
      if_source_empty: k({ enum: ["fail", "accept"] }),
    },
  },
  // ${REF}/pipes/configuration-sources-json.html (…/pipes/configuration-sources-json.rst)
  json: {
    doc: `${REF}/pipes/configuration-sources-json.html`,
    keys: {
      ...SOURCE, ...CONTINUATION, system: k("string", true), url: k("string", true), supports_signalling: k("boolean"), page_size: k("integer>=1"),
      subset: k("array"), headers: k("object"), if_source_empty: k({ enum: ["fail", "accept"] }),
    },
  },
};

/** Every sink: ${REF}/pipes/configuration-sinks.html */
const SINK = { type: k("string", true), comment: k(TEXT) };
/** @type {Record<string, Schema>} */
const SINKS = {
  // ${REF}/pipes/configuration-sinks-json.html (…/pipes/configuration-sinks-json.rst)
  json: { doc: `${REF}/pipes/configuration-sinks-json.html`, keys: { ...SINK, system: k("string", true), url: k("string", true), batch_size: k("integer"), headers: k("object") } },
  // ${REF}/pipes/configuration-sinks-dataset.html (…/pipes/configuration-sinks-dataset.rst)
  dataset: {
    doc: `${REF}/pipes/configuration-sinks-dataset.html`,
    keys: {
      ...SINK, dataset: k("string", true), set_initial_offset: k({ enum: ["if-source-populated", "never", "always", "initially", "onload"] }), indexes: k(["string", "array"]),
      track_children: k("boolean"), enable_optimistic_locking: k("boolean"), circuit_breaker_threshold_factor: k("number"), circuit_breaker_threshold_count: k("integer"),
      deletion_tracking: k("boolean"), mark_deletion_tracked: k("boolean"), bitset_commit_interval: k("integer"), prevent_multiple_versions: k(["boolean", "string"]),
      suppress_filtered: k("boolean"), max_entity_bytes_size: k(["string", "integer"]),
    },
  },
};

/** Every transform: ${REF}/pipes/configuration-transforms.html */
const TRANSFORM = { type: k("string", true), comment: k(TEXT), side_effects: k("boolean") };
/** @type {Record<string, Schema>} */
const TRANSFORMS = {
  // ${REF}/pipes/configuration-transforms-http.html (…/pipes/configuration-transforms-http.rst): `url` is listed as
  // an Object, and its example gives a string.
  http: {
    doc: `${REF}/pipes/configuration-transforms-http.html`,
    keys: { ...TRANSFORM, system: k("string", true), url: k(["string", "object"], true), batch_size: k("integer"), headers: k("object"), trigger_on: k("object") },
  },
};

/** The pump: ${REF}/pipes/configuration-pump.html (…/pipes/configuration-pump.rst) */
const PUMP = {
  doc: `${REF}/pipes/configuration-pump.html`,
  keys: {
    comment: k(TEXT), schedule_interval: k("number"), cron_expression: k("string"), rescan_run_count: k("integer>=1"), rescan_cron_expression: k("string"),
    partial_rescan_run_count: k("integer>=1"), partial_rescan_delta: k("integer>=1"), run_at_startup: k("boolean"), run_at_startup_if_not_populated: k("boolean"),
    use_dead_letter_dataset: k("boolean"), dead_letter_dataset: k("string"), track_dead_letters: k("boolean"), max_read_retries: k("integer"),
    max_seconds_per_entity: k("number"), read_retry_delay: k("number"), write_retry_delay: k("number"), max_retries_per_entity: k("integer"),
    max_consecutive_write_errors: k("integer"), max_write_errors_in_retry_dataset: k("integer"), batch_retries: k("integer"),
    fallback_to_single_entities_on_batch_fail: k("boolean"), mode: k({ enum: ["scheduled", "manual", "off"] }), log_events_noop_runs: k("boolean"),
    log_events_noop_runs_changes_only: k("boolean"), notification_granularity: k("integer"),
  },
};

/** @param {unknown} v @param {KeyType} t @returns {boolean} */
function fits(v, t) {
  if (Array.isArray(t)) return t.some((x) => fits(v, x));
  if (typeof t === "object") return t.enum.includes(v);
  switch (t) {
    case "string": return typeof v === "string";
    case "integer": return Number.isInteger(v);
    case "integer>=1": return Number.isInteger(v) && /** @type {number} */ (v) >= 1;
    case "number": return typeof v === "number" && Number.isFinite(v);
    case "boolean": return typeof v === "boolean";
    case "object": return v !== null && typeof v === "object" && !Array.isArray(v);
    case "array": return Array.isArray(v);
    default: throw new Error(`unknown type ${t}`);
  }
}

/**
 * The problems of one object against a schema (unknown keys, missing required ones, wrong types).
 * @param {Record<string, unknown>} o @param {Schema} s @param {string} at @returns {string[]}
 */
function check(o, s, at) {
  /** @type {string[]} */
  const out = [];
  if (!fits(o, "object")) return [`${at}: expected an object (${s.doc})`];
  for (const [key, v] of Object.entries(o)) {
    const spec = s.keys[key];
    if (!spec) out.push(`${at}.${key}: not a key of ${s.doc}`);
    else if (!fits(v, spec.type)) out.push(`${at}.${key}: ${JSON.stringify(v)} is not ${JSON.stringify(spec.type)} (${s.doc})`);
  }
  for (const [key, spec] of Object.entries(s.keys)) if (spec.required && !(key in o)) out.push(`${at}.${key}: required by ${s.doc}`);
  return out;
}

/** @param {Record<string, Schema>} kinds @param {any} o @param {string} at @param {string} what */
function byType(kinds, o, at, what) {
  const schema = kinds[o?.type];
  return schema ? check(o, schema, at) : [`${at}.type: ${JSON.stringify(o?.type)} is not a ${what} type this schema knows (${Object.keys(kinds).join(", ")})`];
}

/** Every problem of a configuration. @param {any[]} config @returns {string[]} */
export function problems(config) {
  /** @type {string[]} */
  const out = [];
  const systems = new Set();
  for (const [i, c] of config.entries()) {
    const at = `[${i}] ${c?._id}`;
    if (c?.type === "pipe") {
      out.push(...check(c, PIPE, at));
      if (c.source) out.push(...byType(SOURCES, c.source, `${at}.source`, "source"));
      if (c.sink) out.push(...byType(SINKS, c.sink, `${at}.sink`, "sink"));
      for (const [j, t] of (Array.isArray(c.transform) ? c.transform : c.transform ? [c.transform] : []).entries()) out.push(...byType(TRANSFORMS, t, `${at}.transform[${j}]`, "transform"));
      if (c.pump) {
        out.push(...check(c.pump, PUMP, `${at}.pump`));
        if ("schedule_interval" in c.pump && "cron_expression" in c.pump) out.push(`${at}.pump: schedule_interval and cron_expression are mutually exclusive (${PUMP.doc})`);
        if ("rescan_run_count" in c.pump && "rescan_cron_expression" in c.pump) out.push(`${at}.pump: rescan_run_count and rescan_cron_expression are mutually exclusive (${PUMP.doc})`);
      }
      const src = c.source ?? {};
      if (src.type === "json" && "page_size" in src && !(src.supports_since && src.is_since_comparable && src.is_chronological)) {
        out.push(`${at}.source.page_size: paging needs supports_since, is_since_comparable and is_chronological all true (${SOURCES.json.doc})`);
      }
      if (String(c._id).includes("/")) out.push(`${at}._id: a pipe id cannot contain "/" (${PIPE.doc})`);
    } else if (String(c?.type).startsWith("system:")) {
      out.push(...byType(SYSTEMS, c, at, "system"));
      if (("url_pattern" in c) === ("base_url" in c)) out.push(`${at}: exactly one of base_url and url_pattern (${SYSTEMS["system:url"].doc})`);
      if (c.authentication === "jwt" && !c.jwt_token) out.push(`${at}: authentication jwt needs jwt_token (${SYSTEMS["system:url"].doc})`);
      if (String(c._id).includes("/")) out.push(`${at}._id: a system id cannot contain "/"`);
      systems.add(c._id);
    } else out.push(`${at}: neither a pipe nor a system`);
  }
  for (const [i, c] of config.entries()) {
    for (const part of [c.source, c.sink, ...(Array.isArray(c.transform) ? c.transform : c.transform ? [c.transform] : [])]) {
      if (part?.system !== undefined && !systems.has(part.system)) out.push(`[${i}] ${c._id}: system ${JSON.stringify(part.system)} is not defined`);
    }
  }
  const ids = config.map((c) => c._id);
  if (new Set(ids).size !== ids.length) out.push("two components have one _id");
  return out;
}

/** The JSON block under `<!-- sesam-config -->`. */
function configOf(/** @type {string} */ md) {
  const m = /<!-- sesam-config -->\s*```json\n([\s\S]*?)\n```/.exec(md);
  assert.ok(m, "docs/sesam.md has a ```json block after <!-- sesam-config -->");
  return JSON.parse(m[1]);
}

const config = configOf(DOC);
const TOKEN = "sesam-config-test-token-0123456789";

/** @type {{ store: Store, sesam: Awaited<ReturnType<typeof startSesamServer>>, transform: Awaited<ReturnType<typeof startTransformServer>> }} */
let t;
before(async () => {
  const store = await Store.open(await testDb());
  t = { store, sesam: await startSesamServer({ store, token: TOKEN }), transform: await startTransformServer({ token: TOKEN, workers: 1 }) };
});
after(async () => {
  await t.sesam.close();
  await t.transform.close();
  await t.store.close();
});

test("docs/sesam.md's configuration has only keys and values Sesam's configuration reference allows", () => {
  assert.deepEqual(problems(config), []);
  // The schema itself catches what it should.
  const pipe = config.find((/** @type {any} */ c) => c.type === "pipe" && c.sink?.type === "json");
  assert.deepEqual(problems([...config.filter((/** @type {any} */ c) => c !== pipe), { ...pipe, sink: { ...pipe.sink, batchsize: 10 } }]).length, 1);
  const { url: _url, ...noUrl } = pipe.sink;
  assert.match(problems([{ ...pipe, sink: { ...noUrl, system: "nope" } }]).join("\n"), /sink\.url: required[\s\S]*system "nope" is not defined/);
  assert.match(problems([{ _id: "x", type: "system:url", url_pattern: "http://a/%s", authentication: "oauth" }])[0], /authentication/);
  assert.match(problems([{ ...pipe, pump: { schedule_interval: 60, cron_expression: "* * * * *" } }]).join("\n"), /mutually exclusive/);
});

test("the configuration covers every type and flow, and each of its URLs is answered by the running endpoints with the systems' authentication", async () => {
  /** @param {string} id */
  const system = (id) => config.find((/** @type {any} */ c) => c._id === id);
  /** The absolute URL a pipe's relative url becomes through its system's url_pattern, against the local servers. @param {any} part @param {string} base */
  const urlOf = (part, base) => system(part.system).url_pattern.replace(/^\$ENV\([^)]+\)/, base).replace("%s", part.url);
  /** @param {any} part */
  const auth = (part) => {
    const s = system(part.system);
    assert.equal(s.authentication, "jwt");
    assert.match(s.jwt_token, /^\$SECRET\([a-z-]+\)$/, "the token is a secret, not in the configuration");
    return { authorization: `bearer ${TOKEN}` };
  };
  const pipes = config.filter((/** @type {any} */ c) => c.type === "pipe");
  const pushes = pipes.filter((/** @type {any} */ p) => p.sink?.type === "json");
  const pulls = pipes.filter((/** @type {any} */ p) => p.source?.type === "json");
  const plans = pipes.filter((/** @type {any} */ p) => [p.transform].flat().some((x) => x?.type === "http"));
  assert.deepEqual(pushes.map((/** @type {any} */ p) => p.sink.url).sort(), Object.keys(SESAM_TYPES).map((type) => `receivers/customerp-${type}/entities`).sort());
  assert.deepEqual(pulls.map((/** @type {any} */ p) => p.source.url).sort(), Object.keys(SESAM_TYPES).map((type) => `datasets/customerp-${type}-changes/entities`).sort());
  assert.deepEqual(plans.map((/** @type {any} */ p) => p.transform.url).sort(), FLOWS.map((f) => `transform/${f.id}`).sort());
  for (const p of pushes) {
    const datatype = /** @type {any} */ (SESAM_TYPES)[/receivers\/customerp-(\w+)\//.exec(p.sink.url)?.[1] ?? ""];
    assert.equal(p.source.dataset, `customerp-${datatype}-collect`, "the connector's output dataset (SYSTEM-DATATYPE-collect)");
    const res = await fetch(`${urlOf(p.sink, t.sesam.url)}?is_full=false`, { method: "POST", body: "[]", headers: { ...auth(p.sink), "content-type": "application/json" } });
    assert.equal(res.status, 200, p._id);
  }
  for (const p of pulls) {
    const datatype = /** @type {any} */ (SESAM_TYPES)[/datasets\/customerp-(\w+)-changes\//.exec(p.source.url)?.[1] ?? ""];
    assert.equal(p.sink.dataset, `customerp-${datatype}-transform`, "the connector's input dataset (SYSTEM-DATATYPE-transform)");
    const res = await fetch(`${urlOf(p.source, t.sesam.url)}?since=0&limit=${p.source.page_size}`, { headers: auth(p.source) });
    assert.equal(res.status, 200, p._id);
    assert.deepEqual(await res.json(), []);
  }
  for (const p of plans) {
    const res = await fetch(urlOf(p.transform, t.transform.url), { method: "POST", body: "[]", headers: { ...auth(p.transform), "content-type": "application/json" } });
    assert.equal(res.status, 200, p._id);
    assert.ok(p.transform.batch_size <= 1000, "the transform endpoint takes at most 1,000 entities a request");
  }
});

test("every key the configuration uses is explained in docs/sesam.md", () => {
  const prose = DOC.replace(/<!-- sesam-config -->\s*```json\n[\s\S]*?\n```/, "");
  const explained = new Set([...prose.matchAll(/`([a-z_.]+)`/g)].map((m) => m[1]));
  /** @type {Set<string>} */
  const used = new Set();
  /** @param {any} o @param {string} prefix */
  const walk = (o, prefix) => {
    for (const [key, v] of Object.entries(o)) {
      if (v && typeof v === "object" && !Array.isArray(v)) walk(v, `${prefix}${key}.`);
      else used.add(`${prefix}${key}`);
    }
  };
  for (const c of config) walk(c, "");
  const missing = [...used].filter((key) => !explained.has(key));
  assert.deepEqual(missing, []);
});
