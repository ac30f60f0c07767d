// Wasm memory never shrinks: stream records through planBatch in pages and report the instance's
// memory (memory.buffer.byteLength) as the total grows, on a fresh instance each. Bounded means the
// peak after 1M records is the peak after the first pages; it grows with the page size instead.
//
//   node bench/memory.mjs [--records 1000000] [--page 1000]
import { loadFresh } from "./lib/wasm.mjs";
import { FLOWS, planInput } from "./lib/gen.mjs";
import { bytes, fmt, log, ms, now, writeRows } from "./lib/stats.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const TOTAL = Number(args.records ?? 1_000_000);
const PAGE = Number(args.page ?? 1000);
const rows = [];

/** Streams `total` records of `flow` in pages of `page` through a fresh instance; memory at checkpoints. */
function stream(flow, total, page, checkpoints) {
  const { record, options } = FLOWS[flow];
  const { api, memory, cleanup } = loadFresh();
  const start = memory.buffer.byteLength;
  const at = {};
  let errors = 0;
  const t0 = now();
  for (let done = 0; done < total; done += page) {
    const inputs = [];
    for (let i = done; i < Math.min(done + page, total); i++) inputs.push(planInput(flow, record(i)));
    for (const r of api.planBatch(flow, inputs, options)) if (!r.ok) errors++;
    const n = Math.min(done + page, total);
    if (checkpoints.includes(n)) at[n] = memory.buffer.byteLength;
  }
  const seconds = ms(t0, now()) / 1000;
  cleanup();
  if (errors) throw new Error(`${errors} records failed to plan`);
  return { start, at, seconds };
}

// 1M contacts in pages of 1,000.
{
  const flow = "contact-customer";
  const checkpoints = [PAGE, 10 * PAGE, 100 * PAGE, TOTAL].filter((x, i, a) => x <= TOTAL && a.indexOf(x) === i);
  log(`memory: streaming ${TOTAL} ${flow} records through planBatch in pages of ${PAGE}`);
  const r = stream(flow, TOTAL, PAGE, checkpoints);
  const first = r.at[checkpoints[0]];
  const last = r.at[TOTAL];
  rows.push({ area: "memory", what: `${flow}: ${TOTAL / 1000}k records streamed in pages of ${PAGE} (${fmt(r.seconds)} s)`,
    value: `peak ${bytes(last)}`,
    spread: `at start ${bytes(r.start)}; after ` + checkpoints.map((c) => `${c / 1000}k: ${bytes(r.at[c])}`).join(", "),
    ratio: `${fmt(last / first)}× the peak after one page (+${bytes(last - first)})`, goal: "bounded by the page size, not the total", met: last <= first * 1.1 });
}

// The peak follows the page size: 20 pages each of contacts, and of orders (5 lines).
for (const flow of ["contact-customer", "order-order"]) {
  const sizes = (args.pages ?? "100,1000,10000").split(",").map(Number);
  const peaks = sizes.map((p) => {
    log(`memory: ${flow}, 20 pages of ${p}`);
    return stream(flow, 20 * p, p, [20 * p]).at[20 * p];
  });
  rows.push({ area: "memory", what: `${flow}: peak by page size (20 pages each, fresh instance)`,
    value: sizes.map((p, i) => `${p}: ${bytes(peaks[i])}`).join(", "), spread: "",
    ratio: `${fmt(peaks.at(-1) / peaks[0])}× for ${sizes.at(-1) / sizes[0]}× the page`, goal: "", met: null });
}

writeRows("memory", rows);
