// What a person reads: the summary of a run.

/** @typedef {import("./loop.mjs").FlowStats} FlowStats */
/** @typedef {Awaited<ReturnType<import("./loop.mjs").Sync["run"]>>} Summary */

/** Writes the run's summary table and request counts. @param {Summary} s @param {(line: string) => void} out */
export function printSummary(s, out) {
  const head = ["flow", "read CP/CB", "matched", "created CP/CB", "updated CP/CB", "deleted CP/CB", "conflicts", "warnings", "waiting", "manual", "errors"];
  /** @type {string[][]} */
  const rows = [];
  const total = { conflicts: 0, warnings: 0, waiting: 0, manual: 0, errors: 0 };
  for (const [flow, st] of Object.entries(s.flows)) {
    if ("skipped" in st) {
      rows.push([flow, "skipped", "", "", "", "", "", "", "", "", ""]);
      continue;
    }
    const both = (/** @type {{ customerp: number, chargebee: number }} */ x) => `${x.customerp}/${x.chargebee}`;
    rows.push([flow, both(st.read), String(st.matched), both(st.created), both(st.updated), both(st.deleted),
      String(st.conflicts), String(st.warnings), String(st.waiting), String(st.manual), String(st.errors)]);
    for (const k of /** @type {(keyof typeof total)[]} */ (Object.keys(total))) total[k] += st[k];
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (/** @type {string[]} */ cells) => "  " + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  out(line(head));
  rows.forEach((r) => out(line(r)));
  const { customerp: cp, chargebee: cb } = s.requests;
  out(`  requests sent: Customerp ${cp.reads} reads, ${cp.writes} writes · Chargebee ${cb.reads} reads, ${cb.writes} writes` +
    (cb.retries ? ` (${cb.retries} retried, ${cb.rateLimited} after 429)` : ""));
  out(`  totals: ${total.conflicts} conflicts, ${total.warnings} warnings, ${total.waiting} waiting, ${total.manual} manual, ${total.errors} errors`);
  if (s.journal?.pruned) out(`  journal: ${s.journal.pruned} writes older than ${s.journal.days} days pruned`);
}

/** Writes sent to either system in a run. @param {Summary} s */
export const writesOf = (s) => s.requests.customerp.writes + s.requests.chargebee.writes;

/** One line per flow while a run goes. @param {string} flow @param {FlowStats} s @param {number} ms */
export function progressLine(flow, s, ms) {
  const both = (/** @type {{ customerp: number, chargebee: number }} */ x) => `${x.customerp}/${x.chargebee}`;
  return `  ${flow.padEnd(25)} read ${both(s.read)} · matched ${s.matched} · created ${both(s.created)} · updated ${both(s.updated)}` +
    ` · deleted ${both(s.deleted)} · conflicts ${s.conflicts} · warnings ${s.warnings} · waiting ${s.waiting}` +
    (s.manual ? ` · manual ${s.manual}` : "") + (s.ambiguous ? ` · ambiguous ${s.ambiguous}` : "") +
    (s.errors ? ` · ERRORS ${s.errors}` : "") + `  (${ms} ms)`;
}

/** @param {unknown} v */
const show = (v) => (v === null || v === undefined ? "(empty)" : typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v));

/**
 * A dry run's planned writes, one line each, with the changed properties and the conflicts.
 * @param {import("./loop.mjs").PlannedWrite[]} planned @param {(line: string) => void} out
 */
export function printPlanned(planned, out) {
  if (planned.length === 0) return void out("  planned writes: none");
  out(`  planned writes (${planned.filter((p) => p.method).length} requests):`);
  /** @type {Set<unknown>} */
  const told = new Set();
  for (const p of planned) {
    const target = p.side === "chargebee" ? `chargebee ${p.chargebeeId ?? "(new)"}` : `customerp ${p.customerpId ?? "(new)"}`;
    const req = p.method ? `${p.method} ${p.path}` : p.followUp ? "follow-up plan" : "by hand";
    out(`  ${p.flow.padEnd(24)} ${p.side.padEnd(9)} ${p.action.padEnd(9)} ${target.padEnd(32)} ${req}`);
    for (const c of p.changes.slice(0, 12)) out(`      ${c.property}: ${show(c.from)} → ${show(c.to)}`);
    if (p.changes.length > 12) out(`      … ${p.changes.length - 12} more`);
    if (!told.has(p.conflicts) && p.conflicts.length) {
      told.add(p.conflicts);
      for (const c of p.conflicts) out(`      conflict ${c.property}: Customerp ${show(c.customerp)} vs Chargebee ${show(c.chargebee)} → ${c.winner} wins (${c.rule})`);
    }
    if (p.reason) out(`      reason: ${p.reason}`);
  }
}

/** The runs an item was seen in: "3", "1–4", or "-" (made by a person's action). @param {import("./inbox.mjs").Item} i */
const runs = (i) => (i.firstRun === null ? "-" : i.firstRun === i.lastRun ? String(i.firstRun) : `${i.firstRun}–${i.lastRun}`);

/** The inbox as a table. @param {import("./inbox.mjs").Item[]} items @param {(line: string) => void} out */
export function printInbox(items, out) {
  if (items.length === 0) return void out("  the inbox is empty");
  const rows = items.map((i) => [String(i.id), i.kind, i.state, i.flow ?? "", i.customerpId ?? "-", i.chargebeeId ?? "-", runs(i), i.message]);
  const head = ["id", "kind", "state", "flow", "customerp", "chargebee", "runs", "message"];
  const widths = head.map((h, c) => (c === 7 ? 0 : Math.max(h.length, ...rows.map((r) => r[c].length))));
  const line = (/** @type {string[]} */ r) => "  " + r.map((x, c) => (c === 7 ? x : x.padEnd(widths[c]))).join("  ");
  out(line(head));
  rows.forEach((r) => out(line(r)));
}

/** One inbox item in full. @param {import("./inbox.mjs").Item} i @param {(line: string) => void} out */
export function printItem(i, out) {
  out(`  item ${i.id}: ${i.kind}, ${i.state}${i.resolution ? ` (${i.resolution})` : ""}`);
  out(`  ${i.flow ?? ""}  Customerp ${i.customerpId ?? "-"}  Chargebee ${i.chargebeeId ?? "-"}  runs ${runs(i)}`);
  out(`  ${i.message}`);
}

/** @param {Awaited<ReturnType<typeof import("./actions/explain.mjs").explainPair>>} e @param {(line: string) => void} out */
export function printExplain(e, out) {
  out(`  ${e.flow}: Customerp ${e.link.customerp ?? "(none)"} ⇄ Chargebee ${e.link.chargebee ?? "(none)"}  ${e.linked ? `linked (${e.linkedBy}), ${e.base ? "with a last synced state" : "never synced: the next run merges them as at a first sync"}` : "not linked"}`);
  if (e.held) out(`  held: ${e.held}: the run does not plan it until a person acts`);
  if (e.keep) out(`  link by hand keeps ${e.keep}'s values where they differ`);
  if ("error" in e && e.error) return void out(`  not planned: ${e.error.code ?? "error"}${e.error.path ? ` at ${e.error.path}` : ""}: ${e.error.message}`);
  const cell = (/** @type {unknown} */ v) => {
    const s = v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v);
    return s.length > 34 ? `${s.slice(0, 33)}…` : s;
  };
  const rows = e.rows.map((r) => [r.mapped ? `${r.property} (mapped)` : r.property, cell(r.customerp), cell(r.chargebee), cell(r.base?.customerp ?? null), r.decision]);
  const head = ["property", "Customerp", "Chargebee", "last synced", "decision"];
  const widths = head.map((h, c) => (c === 4 ? 0 : Math.max(h.length, ...rows.map((r) => r[c].length))));
  const line = (/** @type {string[]} */ r) => "  " + r.map((x, c) => (c === 4 ? x : x.padEnd(widths[c]))).join("  ");
  out(line(head));
  rows.forEach((r) => out(line(r)));
  if (!("warnings" in e)) return;
  for (const w of e.warnings ?? []) out(`  warning ${w.code}${w.property ? ` (${w.property})` : ""}: ${w.message}`);
  for (const w of e.waitingFor ?? []) out(`  waiting for ${w.flow} ${w.customerpId} to be linked`);
  if (e.reason) out(`  reason: ${e.reason}`);
  out("");
  out(e.writes.length ? "  the next run would send:" : "  the next run would send nothing for this pair");
  if (e.writes.length) printPlanned(e.writes, out);
}

/** A value as the history shows it: a string quoted, empty as (empty), long ones cut. @param {unknown} v */
const valueOf = (v) => {
  const s = show(v);
  return s.length > 60 ? `${s.slice(0, 59)}…` : s;
};

/**
 * A pair's history as a table, newest first: one line per value a write changed (from → to, and why), a
 * write's request when it names no value, a failed write's error, and each log entry's message.
 * @param {Awaited<ReturnType<typeof import("./actions/history.mjs").pairHistory>>} h @param {(line: string) => void} out
 */
export function printHistory(h, out) {
  const names = (/** @type {string[]} */ ids) => (ids.length ? ids.join(", ") : "-");
  out(`  ${h.flow}: ${h.link ? `Customerp ${h.link.customerp} ⇄ Chargebee ${h.link.chargebee} (linked)` : `${h.record.side === "customerp" ? "Customerp" : "Chargebee"} ${h.record.id} (not linked)`}` +
    `; ids in its history: Customerp ${names(h.ids.customerp)} · Chargebee ${names(h.ids.chargebee)}`);
  if (h.entries.length === 0) return void out("  nothing journaled or logged for this pair");
  const writes = h.entries.filter((e) => e.source === "write").length;
  out(`  ${writes} write${writes === 1 ? "" : "s"} and ${h.entries.length - writes} log entr${h.entries.length - writes === 1 ? "y" : "ies"}, newest first (times in UTC)${h.truncated ? `; the oldest are left out` : ""}`);
  /** @type {string[][]} */
  const rows = [];
  for (const e of h.entries) {
    const at = e.at.slice(0, 19).replace("T", " ");
    const head = [at, e.run === null ? "-" : String(e.run), e.what, e.side ?? "-", e.outcome ?? "-"];
    const blank = head.map(() => "");
    if (e.source === "log") {
      rows.push([...head, e.property ?? "", e.message ?? ""]);
      continue;
    }
    const why = (/** @type {string} */ r) => (e.undoOf === null ? r : r === "undo" ? `undo of run ${e.undoOf}` : `${r} (undo of run ${e.undoOf})`);
    if (e.outcome !== "ok") rows.push([...head, "", `${e.method ?? ""} ${e.path ?? ""}: ${e.message ?? e.outcome}`]);
    else if (e.changes.length === 0) rows.push([...head, "", `${e.method ?? ""} ${e.path ?? ""}`]);
    e.changes.forEach((c, i) => {
      const line = c.line ? `[line ${c.line.customerp ?? c.line.chargebee ?? "?"}]` : "";
      rows.push([...(i === 0 && e.outcome === "ok" ? head : blank), `${c.property}${line}`, `${valueOf(c.from)} → ${valueOf(c.to)}  ${why(c.reason)}`]);
    });
  }
  const headers = ["at", "run", "entry", "side", "outcome", "property", "change or message"];
  const last = headers.length - 1;
  const widths = headers.map((t, c) => (c === last ? 0 : Math.max(t.length, ...rows.map((r) => r[c].length))));
  const line = (/** @type {string[]} */ r) => ("  " + r.map((x, c) => (c === last ? x : x.padEnd(widths[c]))).join("  ")).trimEnd();
  out(line(headers));
  rows.forEach((r) => out(line(r)));
}

/**
 * What an undo did (or, in a dry run, would do): the values put back, the records released, the values
 * not put back and why, then the requests (a dry run lists each request it would send).
 * @param {Awaited<ReturnType<typeof import("./actions/undo.mjs").undoRun>>} u @param {(line: string) => void} out
 */
export function printUndo(u, out) {
  const { summary: s, report: r } = u;
  const would = s.dryRun ? "would be " : "";
  const per = (/** @type {Side} */ side) => r.values.filter((v) => v.side === side).length;
  const now = r.released.filter((x) => !x.already).length;
  const before = r.released.length - now;
  out(`${s.dryRun ? "dry run (nothing is written, the store is not changed): " : ""}undo of run ${r.undoOf}${s.dryRun ? "" : ` (run ${s.run})`}: ` +
    `${r.values.length} value${r.values.length === 1 ? "" : "s"} ${would}put back (Customerp ${per("customerp")}, Chargebee ${per("chargebee")}), ` +
    `${now} record${now === 1 ? "" : "s"} ${would}released${before ? ` (${before} released before)` : ""}, ${r.skipped.length} not put back (changed since)` +
    (r.notes.length ? `, ${r.notes.length} note${r.notes.length === 1 ? "" : "s"}` : ""));
  const pair = (/** @type {{ flow: string, customerp: string | null, chargebee: string | null }} */ x) => [x.flow, `Customerp ${x.customerp ?? "-"} ⇄ Chargebee ${x.chargebee ?? "-"}`];
  /** @param {string} title @param {string[][]} rows */
  const table = (title, rows) => {
    if (!rows.length) return;
    out(`  ${title}`);
    const widths = rows[0].map((_, c) => Math.max(...rows.map((x) => x[c].length)));
    for (const row of rows) out(("  " + row.map((x, c) => (c === row.length - 1 ? x : x.padEnd(widths[c]))).join("  ")).trimEnd());
  };
  const lineOf = (/** @type {any} */ l) => (l ? `[line ${l.customerp ?? l.chargebee ?? "?"}]` : "");
  table(`values ${would}put back, on the side run ${r.undoOf} wrote them:`, r.values.map((v) => [...pair(v), v.side, `${v.property}${lineOf(v.line)}`, `${valueOf(v.from)} → ${valueOf(v.to)}`]));
  table(`records run ${r.undoOf} created, ${would}released (as a safe delete releases them; their pairs held):`, r.released.map((x) => [...pair(x), x.side,
    `${x.already ? "released before (by an earlier undo): the link ends" : "released"}; held: ${x.held.map((h) => `${h.side} ${h.id}`).join(", ")}`]));
  table("not put back: changed since the run (nothing written; each is an inbox item of kind undo):", r.skipped.map((k) => [...pair(k), k.side, `${k.property}${lineOf(k.line)}`,
    `run ${r.undoOf} wrote ${valueOf(k.wrote)}, now ${valueOf(k.now)}; before the run ${valueOf(k.before)}${k.item !== null ? `  (item ${k.item})` : ""}`]));
  table("notes:", r.notes.map((n) => [...pair(n), `${n.message}${n.item !== null ? `  (item ${n.item})` : ""}`]));
  for (const g of r.guard) {
    out(`  GUARD ${g.flow}: ${Object.entries(g.counts).map(([k, n]) => `${n} ${k}`).join(", ")} destructive actions for ${g.linked} linked pairs: nothing of this flow was written (inbox item ${g.item}; \`confirm ${g.item}\`, then run the undo again)`);
  }
  const { customerp: cp, chargebee: cb } = s.requests;
  out(`  requests sent: Customerp ${cp.reads} reads, ${cp.writes} writes · Chargebee ${cb.reads} reads, ${cb.writes} writes`);
  if (s.dryRun) {
    out("");
    printPlanned(s.planned, out);
  }
}

/** @typedef {"customerp" | "chargebee"} Side */

/**
 * Progress lines: on a TTY one line rewritten in place at least every 2 s; otherwise a line every
 * 10 s or every 1,000 records. Read, planned, written, rate, and an ETA where the total is known.
 */
export class ProgressReporter {
  /** @param {{ tty: boolean, write: (text: string) => void, now?: () => number }} o */
  constructor(o) {
    this.tty = o.tty;
    this.write = o.write;
    this.now = o.now ?? Date.now;
    this.last = this.now();
    this.lastCount = 0;
    /** @type {import("./loop.mjs").Progress | null} */
    this.current = null;
    this.started = this.now();
    this.flow = "";
    /** @type {string} */
    this.phase = "";
    this.dirty = false;
  }

  /** @param {import("./loop.mjs").Progress} p */
  update(p) {
    if (p.flow !== this.flow || p.phase !== this.phase) {
      if (p.flow !== this.flow) this.started = this.now();
      this.flow = p.flow;
      this.phase = p.phase;
      this.lastCount = 0;
    }
    this.current = p;
    const t = this.now();
    const count = p.phase === "write" ? p.written : p.phase === "plan" ? p.planned : p.read;
    const due = this.tty ? t - this.last >= 2000 : t - this.last >= 10_000 || Math.floor(count / 1000) > Math.floor(this.lastCount / 1000);
    if (!due) return;
    this.last = t;
    this.lastCount = count;
    const text = this.line(p, t);
    if (this.tty) {
      this.write(`\r\x1b[2K${text}`);
      this.dirty = true;
    } else this.write(`${text}\n`);
  }

  /** Ends an in-place line before other output. */
  clear() {
    if (this.tty && this.dirty) this.write("\r\x1b[2K");
    this.dirty = false;
  }

  /** @param {import("./loop.mjs").Progress} p @param {number} t */
  line(p, t) {
    const secs = Math.max(0.001, (t - this.started) / 1000);
    const done = p.phase === "write" ? p.written : p.phase === "plan" ? p.planned : p.read;
    const rate = done / secs;
    const total = p.total ?? null;
    const eta = total !== null && rate > 0 && p.phase !== "read" ? ` · ETA ${Math.ceil((total - done) / rate)} s` : "";
    const of = total !== null ? `/${total}` : "";
    return `  … ${p.flow.padEnd(24)} read ${p.read} · planned ${p.planned}${of} · written ${p.written}${of} · ${rate.toFixed(rate < 10 ? 1 : 0)}/s${eta}`;
  }
}
