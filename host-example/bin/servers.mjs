#!/usr/bin/env node
// Starts the Chargebee emulator and the Customerp server with the demo data, on loopback, until Ctrl-C.
//   EMULATOR_PORT (default 8181), CUSTOMERP_PORT (default 8282), EMULATOR_RATE_LIMIT (requests a minute)
import { startLocalServers } from "../src/local/servers.mjs";

const limit = Number(process.env.EMULATOR_RATE_LIMIT ?? "1000");
const servers = await startLocalServers({
  chargebeePort: Number(process.env.EMULATOR_PORT ?? "8181"),
  customerpPort: Number(process.env.CUSTOMERP_PORT ?? "8282"),
  rateLimit: { limit, windowMs: 60_000 },
});
console.log(`Chargebee emulator  ${servers.chargebee.url}/api/v2  (${limit} requests a minute)`);
console.log(`Customerp server    ${servers.customerp.url}/api`);
console.log("Sync against them (the local credentials are in README.md):");
console.log(`  CHARGEBEE_SITE=${servers.chargebee.url} CUSTOMERP_URL=${servers.customerp.url} \\`);
console.log("  CHARGEBEE_API_KEY=... CUSTOMERP_TOKEN=... SYNC_OPTIONS='{\"timeZone\":\"Europe/Oslo\",\"itemFamilyId\":\"customerp-products\",\"ownCompanyName\":\"Fjordvik Handel AS\"}' \\");
console.log("  node bin/sync.mjs");
const stop = async () => {
  await servers.close();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
