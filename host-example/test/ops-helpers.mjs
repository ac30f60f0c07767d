// Shared by the ops tests: a strict parser of Prometheus' text exposition format (version 0.0.4), so
// that /metrics is read as Prometheus reads it, not by string matching.
//   - lines end with \n (the last one too); empty lines are ignored
//   - `# HELP name text` and `# TYPE name type` at most once per family, TYPE before its samples
//   - every sample belongs to a typed family (histograms: name_bucket with `le`, name_sum, name_count)
//   - a family's samples are together; no series twice; names, label names and escapes as the format says
//   - histograms: buckets cumulative, `le="+Inf"` present and equal to name_count
import { request } from "node:http";

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = ["counter", "gauge", "histogram", "summary", "untyped"];

/**
 * @typedef {{ name: string, labels: Record<string, string>, value: number }} Sample
 * @typedef {{ name: string, type: string, help: string | null, samples: Sample[] }} Family
 */

/** @param {string} text @returns {Map<string, Family>} */
export function parsePrometheus(text) {
  if (text.length && !text.endsWith("\n")) throw new Error("the exposition does not end with a newline");
  /** @type {Map<string, Family>} */
  const families = new Map();
  /** @type {Set<string>} */
  const series = new Set();
  /** @type {Set<string>} families whose samples have ended (another family's came after) */
  const closed = new Set();
  /** @type {string | null} */
  let current = null;
  const lines = text.split("\n");
  lines.pop();
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line === "") return; // the format ignores empty lines
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // a comment
      const [, what, name, rest] = m;
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name`);
      const f = families.get(name) ?? { name, type: "untyped", help: null, samples: [], typed: false };
      if (what === "HELP") {
        if (f.help !== null) throw new Error(`${where}: a second HELP`);
        f.help = unescape(rest, false, where);
      } else {
        if (/** @type {any} */ (f).typed) throw new Error(`${where}: a second TYPE`);
        if (f.samples.length) throw new Error(`${where}: TYPE after samples`);
        if (!TYPES.includes(rest)) throw new Error(`${where}: unknown type ${rest}`);
        f.type = rest;
        /** @type {any} */ (f).typed = true;
      }
      families.set(name, f);
      return;
    }
    const s = sampleOf(line, where);
    const family = familyOf(s, families);
    if (!family) throw new Error(`${where}: no TYPE for this sample`);
    if (closed.has(family.name)) throw new Error(`${where}: the samples of ${family.name} are not together`);
    if (current !== null && current !== family.name) closed.add(current);
    current = family.name;
    const id = `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`;
    if (series.has(id)) throw new Error(`${where}: the same series twice`);
    series.add(id);
    family.samples.push(s);
  });
  for (const f of families.values()) if (f.type === "histogram") checkHistogram(f);
  return families;
}

/** @param {string} line @param {string} where @returns {Sample} */
function sampleOf(line, where) {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
  if (!m) throw new Error(`${where}: bad sample name`);
  const name = m[1];
  let i = name.length;
  /** @type {Record<string, string>} */
  const labels = {};
  if (line[i] === "{") {
    i++;
    while (line[i] !== "}") {
      const lm = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(i));
      if (!lm) throw new Error(`${where}: bad label at column ${i + 1}`);
      i += lm[0].length;
      let value = "";
      for (;;) {
        const c = line[i];
        if (c === undefined) throw new Error(`${where}: unterminated label value`);
        if (c === '"') break;
        if (c === "\\") {
          const n = line[i + 1];
          if (n === "\\") value += "\\";
          else if (n === '"') value += '"';
          else if (n === "n") value += "\n";
          else throw new Error(`${where}: bad escape \\${n}`);
          i += 2;
        } else {
          value += c;
          i++;
        }
      }
      i++;
      if (!LABEL.test(lm[1]) || lm[1].startsWith("__")) throw new Error(`${where}: bad label name ${lm[1]}`);
      if (lm[1] in labels) throw new Error(`${where}: label ${lm[1]} twice`);
      labels[lm[1]] = value;
      if (line[i] === ",") i++;
      else if (line[i] !== "}") throw new Error(`${where}: expected , or } at column ${i + 1}`);
    }
    i++;
  }
  const rest = line.slice(i);
  const vm = /^ (\S+)(?: (-?\d+))?$/.exec(rest);
  if (!vm) throw new Error(`${where}: expected " value [timestamp]"`);
  return { name, labels, value: floatOf(vm[1], where) };
}

/** @param {string} s @param {string} where */
function floatOf(s, where) {
  // as Go's strconv.ParseFloat, which Prometheus uses: NaN and Inf in any case (prom-client writes "Nan")
  if (/^[+]?inf(inity)?$/i.test(s)) return Infinity;
  if (/^-inf(inity)?$/i.test(s)) return -Infinity;
  if (/^nan$/i.test(s)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) throw new Error(`${where}: bad value ${s}`);
  return Number(s);
}

/** @param {string} s @param {boolean} quotes @param {string} where */
function unescape(s, quotes, where) {
  return s.replace(/\\(.)/g, (_, c) => {
    if (c === "\\") return "\\";
    if (c === "n") return "\n";
    if (quotes && c === '"') return '"';
    throw new Error(`${where}: bad escape \\${c}`);
  });
}

/** @param {Sample} s @param {Map<string, Family>} families */
function familyOf(s, families) {
  const direct = families.get(s.name);
  if (direct && direct.type !== "histogram" && direct.type !== "summary") return direct;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!s.name.endsWith(suffix)) continue;
    const f = families.get(s.name.slice(0, -suffix.length));
    if (f?.type === "histogram") {
      if ((suffix === "_bucket") !== ("le" in s.labels)) throw new Error(`${s.name}: le belongs on _bucket samples only`);
      return f;
    }
    if (f?.type === "summary" && suffix !== "_bucket") return f;
  }
  if (direct?.type === "summary" && "quantile" in s.labels) return direct;
  return null;
}

/** @param {Family} f */
function checkHistogram(f) {
  /** @type {Map<string, { buckets: [number, number][], count?: number }>} */
  const groups = new Map();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const g = groups.get(key) ?? { buckets: [] };
    if (s.name.endsWith("_bucket")) g.buckets.push([floatOf(le, `${f.name} le`), s.value]);
    if (s.name.endsWith("_count")) g.count = s.value;
    groups.set(key, g);
  }
  for (const [key, g] of groups) {
    const b = g.buckets.sort((x, y) => x[0] - y[0]);
    if (!b.length || b[b.length - 1][0] !== Infinity) throw new Error(`${f.name}${key}: no le="+Inf" bucket`);
    for (let i = 1; i < b.length; i++) if (b[i][1] < b[i - 1][1]) throw new Error(`${f.name}${key}: buckets not cumulative`);
    if (g.count !== b[b.length - 1][1]) throw new Error(`${f.name}${key}: _count ${g.count} ≠ the +Inf bucket ${b[b.length - 1][1]}`);
  }
}

/**
 * The value of one series, or undefined.
 * @param {Map<string, Family>} families @param {string} name a sample name (with _bucket, _sum, _count for histograms)
 * @param {Record<string, string>} labels all of the series' labels
 */
export function valueOf(families, name, labels) {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      const a = Object.entries(s.labels).sort();
      const b = Object.entries(labels).sort();
      if (JSON.stringify(a) === JSON.stringify(b)) return s.value;
    }
  }
  return undefined;
}

/**
 * A GET (or another method) on loopback with node:http, so that any Host header can be sent.
 * @param {string} url @param {{ method?: string, headers?: Record<string, string> }} [o]
 * @returns {Promise<{ status: number, headers: import("node:http").IncomingHttpHeaders, body: string }>}
 */
export function get(url, o = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: o.method ?? "GET", headers: o.headers, agent: false }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error("no answer within 10 s")));
    req.on("error", reject);
    req.end();
  });
}
