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
