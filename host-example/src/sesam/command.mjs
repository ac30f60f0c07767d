// `sync.mjs sesam`: the Sesam endpoints (server.mjs) over the app's store, until stopped.
import { UsageError } from "../app/errors.mjs";
import { addSecret } from "../app/redact.mjs";
import { startSesamServer } from "./server.mjs";
import { isLoopback } from "../app/transform.mjs";

/**
 * Starts the endpoints and prints where; SESAM_TOKEN is required (at least 16 characters) and never printed.
 * @param {import("../app/app.mjs").App} app
 * @param {{ port: number, host?: string, token?: string, out: (line: string) => void }} o
 */
export async function serveSesam(app, o) {
  const token = o.token ?? process.env.SESAM_TOKEN ?? "";
  if (token.length < 16) throw new UsageError("set SESAM_TOKEN (at least 16 characters): Sesam sends it as Authorization: Bearer <token> (the URL system's jwt_token)");
  addSecret(token);
  const host = o.host ?? "127.0.0.1";
  const served = await startSesamServer({ store: app.store, token, port: o.port, host, namespace: app.config.sesamNamespace, out: o.out }).catch((e) => {
    throw e?.code === "EADDRINUSE" ? new UsageError(`port ${o.port} is in use on ${host}: pick another (--port or SESAM_PORT)`) : e;
  });
  o.out(`  sesam      ${served.url}  (store ${app.store.path}; namespace ${JSON.stringify(app.config.sesamNamespace ?? "")}; token: set, not shown)`);
  o.out(`             POST ${served.url}/receivers/customerp-<type>/entities      the ERP's records (JSON push)`);
  o.out(`             GET  ${served.url}/datasets/customerp-<type>-changes/entities  the changes to make in the ERP (JSON pull)`);
  o.out("             <type>: customers, contacts, employees, products, quotes, orders");
  if (!isLoopback(host)) o.out(`  sesam      listening on ${host}, beyond this machine: put a TLS proxy in front of it`);
  return served;
}
