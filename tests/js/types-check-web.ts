// Type-checked only: the "./web" entry for browsers without a bundler (default export init()).
import init, { flows, initSync, plan, type FlowInfo, type Plan } from "customerp-chargebee/web";

await init();
await init({ module_or_path: new URL("customerp_chargebee_bg.wasm", "https://example.invalid/pkg/") });
initSync({ module: new Uint8Array() });
const infos: FlowInfo[] = flows();
const p: Plan = plan("order-order", { customerp: null, chargebee: { id: "o1" }, base: null });
export const used = [infos, p];
