// Types of index.mjs: the same functions and types as the Node (CommonJS) build, whose declarations equal the ES builds' (scripts/build.sh).
export * from "./dist/customerp_chargebee.js";
