#!/usr/bin/env node
// The Sesam-style transform endpoint on loopback: POST /transform/<flow>. TRANSFORM_PORT (default 8383),
// SYNC_OPTIONS (JSON) for the default plan options.
import { startTransformServer } from "../src/app/transform.mjs";

const options = process.env.SYNC_OPTIONS ? JSON.parse(process.env.SYNC_OPTIONS) : {};
const server = await startTransformServer({ port: Number(process.env.TRANSFORM_PORT ?? "8383"), options });
console.log(`transform endpoint ${server.url}/transform/<flow>  (GET ${server.url}/transform lists the flows)`);
const stop = async () => {
  await server.close();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
