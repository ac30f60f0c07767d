#!/usr/bin/env node
// The Sesam-style transform endpoint: POST /transform/<flow>. See README.md.
//   node bin/transform.mjs [--port P] [--host H] [--no-auth]
// TRANSFORM_TOKEN (Bearer) is required unless --no-auth (loopback only); TRANSFORM_PORT (default 8383),
// SYNC_OPTIONS (JSON) for the default plan options.
import { parseArgs } from "node:util";
import { startTransformServer, TRANSFORM_LIMITS } from "../src/app/transform.mjs";

const USAGE = `usage: node bin/transform.mjs [--port P] [--host H] [--no-auth]
  env: TRANSFORM_TOKEN (required unless --no-auth), TRANSFORM_PORT (default 8383), SYNC_OPTIONS (JSON plan options)
  limits: body ${TRANSFORM_LIMITS.body} bytes, ${TRANSFORM_LIMITS.batch} entities a request, answer ${TRANSFORM_LIMITS.output} bytes`;

const ARGS = /** @type {const} */ ({ port: { type: "string" }, host: { type: "string" }, "no-auth": { type: "boolean" }, help: { type: "boolean", short: "h" } });
let values;
try {
  values = parseArgs({ options: ARGS, strict: true }).values;
} catch (e) {
  console.error(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const token = process.env.TRANSFORM_TOKEN || null;
let options = {};
try {
  options = process.env.SYNC_OPTIONS ? JSON.parse(process.env.SYNC_OPTIONS) : {};
} catch (e) {
  console.error(`SYNC_OPTIONS is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(2);
}
let server;
try {
  server = await startTransformServer({
    port: Number(values.port ?? process.env.TRANSFORM_PORT ?? "8383"),
    host: values.host,
    token,
    noAuth: Boolean(values["no-auth"]),
    options,
  });
} catch (e) {
  console.error(`transform: ${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
  process.exit(2);
}
console.log(`transform endpoint ${server.url}/transform/<flow>  (GET ${server.url}/transform lists the flows; ${token ? "Bearer token required" : "no authentication: loopback only"})`);
const stop = async () => {
  await server.close();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
