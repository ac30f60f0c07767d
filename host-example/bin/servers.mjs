#!/usr/bin/env node
// Starts the Chargebee emulator and the Customerp server with the demo data, on loopback, until Ctrl-C.
//   EMULATOR_PORT (default 8181), CUSTOMERP_PORT (default 8282)
//   CHARGEBEE_RATE_LIMIT       requests a minute the emulated site lets in (default 1000; EMULATOR_RATE_LIMIT is
//                              the older name), counted over the last 60 s (CHARGEBEE_RATE_WINDOW=fixed: in fixed
//                              windows of 60 s from their first request)
//   CHARGEBEE_CONCURRENCY_LIMIT requests in flight at once (default: no limit; Chargebee's test sites allow 100),
//                              CHARGEBEE_CONCURRENCY_GET / CHARGEBEE_CONCURRENCY_POST of them per method (test
//                              sites 50 / 50, live sites 50 / 100); over a limit the emulator answers 429
//   CHARGEBEE_LATENCY_MS, CHARGEBEE_LATENCY_JITTER_MS   the emulator's delay per request: fixed, plus uniform
//                              random up to the jitter (default 0; requests in flight overlap)
//   CUSTOMERP_LATENCY_MS, CUSTOMERP_LATENCY_JITTER_MS   the same for the Customerp server
import { startLocalServers } from "../src/local/servers.mjs";

/** A non-negative number from the environment, or `fallback` when unset. @param {string} name @param {number | undefined} [fallback] */
function envNumber(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`${name} must be a number ≥ 0, not ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}

const limit = envNumber("CHARGEBEE_RATE_LIMIT") ?? envNumber("EMULATOR_RATE_LIMIT", 1000) ?? 1000;
const sliding = (process.env.CHARGEBEE_RATE_WINDOW ?? "sliding") !== "fixed";
const concurrency = {
  limit: envNumber("CHARGEBEE_CONCURRENCY_LIMIT"),
  get: envNumber("CHARGEBEE_CONCURRENCY_GET"),
  post: envNumber("CHARGEBEE_CONCURRENCY_POST"),
};
const latency = { fixedMs: envNumber("CHARGEBEE_LATENCY_MS", 0), jitterMs: envNumber("CHARGEBEE_LATENCY_JITTER_MS", 0) };
const customerpLatency = { fixedMs: envNumber("CUSTOMERP_LATENCY_MS", 0), jitterMs: envNumber("CUSTOMERP_LATENCY_JITTER_MS", 0) };

const servers = await startLocalServers({
  chargebeePort: envNumber("EMULATOR_PORT", 8181),
  customerpPort: envNumber("CUSTOMERP_PORT", 8282),
  rateLimit: { limit, windowMs: 60_000, sliding },
  concurrency,
  latency,
  customerpLatency,
});
const ms = (/** @type {{ fixedMs?: number, jitterMs?: number }} */ l) =>
  l.fixedMs || l.jitterMs ? `, ${l.fixedMs ?? 0} ms${l.jitterMs ? ` + up to ${l.jitterMs} ms` : ""} a request` : "";
const inFlight = [
  concurrency.limit !== undefined ? `${concurrency.limit} in flight` : "",
  concurrency.get !== undefined ? `${concurrency.get} GETs` : "",
  concurrency.post !== undefined ? `${concurrency.post} POSTs` : "",
].filter(Boolean).join(", ");
console.log(`Chargebee emulator  ${servers.chargebee.url}/api/v2  (${limit} requests a minute${sliding ? "" : " in fixed windows"}${inFlight ? `, at most ${inFlight}` : ""}${ms(latency)})`);
console.log(`Customerp server    ${servers.customerp.url}/api${customerpLatency.fixedMs || customerpLatency.jitterMs ? `  (${ms(customerpLatency).slice(2)})` : ""}`);
console.log("Sync against them (the local credentials are in README.md):");
console.log(`  CHARGEBEE_SITE=${servers.chargebee.url} CUSTOMERP_URL=${servers.customerp.url} CHARGEBEE_RATE_LIMIT=${limit} \\`);
console.log("  CHARGEBEE_API_KEY=... CUSTOMERP_TOKEN=... SYNC_OPTIONS='{\"timeZone\":\"Europe/Oslo\",\"itemFamilyId\":\"customerp-products\",\"ownCompanyName\":\"Fjordvik Handel AS\"}' \\");
console.log("  node bin/sync.mjs");
const stop = async () => {
  await servers.close();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
