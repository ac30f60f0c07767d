// Type-checked only: the "./web" entry for browsers without a bundler (default export init()).
import init, { flows, initSync, plan, planBatch, SyncError, type FlowInfo, type Plan } from "customerp-chargebee/web";

await init();
await init({ module_or_path: new URL("customerp_chargebee_bg.wasm", "https://example.invalid/pkg/") });
initSync({ module: new Uint8Array() });
const infos: FlowInfo[] = flows();
const p: Plan = plan("order-order", { customerp: null, chargebee: { id: "o1" }, base: null });
const slot = planBatch("contact-customer", [{ customerp: { id: "17", email: "ada@example.com" }, chargebee: null, base: null }])[0];
const slotError: SyncError | undefined = slot && !slot.ok && slot.error instanceof SyncError ? slot.error : undefined;
// @ts-expect-error a misspelt field in the ./web types too
plan("contact-customer", { customerp: { id: "17", emial: "ada@example.com" }, chargebee: null, base: null });
export const used = [infos, p, slotError];
