// Types of index.mjs: the same functions and types as the Node (CommonJS) build.
export * from "./dist/node/customerp_chargebee.js";
