// Prints the one table of bench/results/*.json (written by plan.mjs, match.mjs, size.mjs,
// memory.mjs, api.mjs, latency.mjs), as Markdown, with the machine it ran on.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";

const dir = path.join(path.dirname(new URL(import.meta.url).pathname), "results");
const order = ["api", "latency", "plan", "match", "size", "memory"];
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".json")) : [];
files.sort((a, b) => order.indexOf(a.replace(".json", "")) - order.indexOf(b.replace(".json", "")));

const tool = (cmd, args) => { try { return execFileSync(cmd, args).toString().trim(); } catch { return "?"; } };
const cpu = os.cpus()[0]?.model?.replace(/\s+/g, " ") ?? "?";
console.log(`Machine: ${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB; ` +
  `Node ${process.version}; ${tool("rustc", ["--version"])}`);
console.log("Figures are medians of the runs counted in the spread; ratios are measured in the same process and run.\n");
const cell = (s) => String(s ?? "").replace(/\|/g, "\\|");
console.log("| Area | What | Median | Spread | Ratio (same run) | Goal | Met |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const f of files) {
  for (const r of JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"))) {
    const met = r.met === true ? "yes" : r.met === false ? "**no**" : "";
    console.log(`| ${cell(r.area)} | ${cell(r.what)} | ${cell(r.value)} | ${cell(r.spread)} | ${cell(r.ratio)} | ${cell(r.goal)} | ${met} |`);
  }
}
