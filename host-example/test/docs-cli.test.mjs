// The docs agree with the CLI: each command's flags in `--help` are the flags of its heading in README.md, the
// environment variables its help names are in its README section (and the section names none the help lacks),
// the help's environment list is the README's table, and every environment variable the code reads is documented.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = fileURLToPath(new URL("..", import.meta.url));
const SYNC = join(HERE, "bin/sync.mjs");
const README = readFileSync(join(HERE, "README.md"), "utf8");

/** Variables the host's code reads that its help need not list, and why (README.md must still name each but the first). */
const INTERNAL = new Map([
  ["SYNC_CONFIG_JSON", "never set by a person: a tenant's SYNC_CONFIG content, handed from the store to configFromEnv (src/tenants/tenants.mjs)"],
  ["TRANSFORM_TOKEN", "bin/transform.mjs's token: src/ops/credentials.mjs loads the secrets of every program as files"],
]);

/** @param {string[]} args @returns {Promise<string>} */
function sync(args) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [SYNC, ...args], { env: { PATH: process.env.PATH ?? "" }, timeout: 30_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${args.join(" ")}: ${stderr}`)) : resolve(stdout));
  });
}

/** @param {string} text */
export const flagsOf = (text) => new Set([...text.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]).filter((f) => f !== "--help"));
/** Environment variables named in a text: upper-case words with an underscore, as the docs write them. @param {string} text */
export const envOf = (text) => new Set([...text.matchAll(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]\b/g)].map((m) => m[0]));

/**
 * A command's section of a README: the heading whose code spans start with the command's name (their flags), and
 * the text up to the next heading of the same or a higher level. A heading with the command's synopsis
 * (`name <args…>`) goes before one with its bare name (a chapter such as "`check-connector`: the contract as checks").
 * @param {string} readme @param {string} name @returns {{ heading: string, flags: Set<string>, body: string } | null}
 */
export function sectionOf(readme, name) {
  const found = headingsOf(readme, name);
  return found.find((h) => h.synopsis) ?? found[0] ?? null;
}

/** @param {string} readme @param {string} name */
function headingsOf(readme, name) {
  const lines = readme.split("\n");
  const out = [];
  let inFence = false;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith("```")) inFence = !inFence;
    const m = !inFence && /^(#{2,4}) (.*)$/.exec(lines[i]);
    if (!m) continue;
    const spans = [...m[2].matchAll(/`([^`]+)`/g)].map((s) => s[1]).filter((s) => s === name || s.startsWith(`${name} `));
    if (spans.length === 0 || !m[2].startsWith("`")) continue;
    let end = i + 1;
    let fence = false;
    for (; end < lines.length; end++) {
      if (lines[end].startsWith("```")) fence = !fence;
      const h = !fence && /^(#+) /.exec(lines[end]);
      if (h && h[1].length <= m[1].length) break;
    }
    out.push({ heading: lines[i], flags: flagsOf(spans.join(" ")), body: lines.slice(i, end).join("\n"), synopsis: spans.some((x) => x !== name) });
  }
  return out;
}

/**
 * What differs between a command's help and its README section (empty: they agree).
 * @param {string} name @param {string} help the output of `<name> --help` @param {string} envList the CLI's shared environment list
 * @param {string} readme @param {Set<string>} [known] the environment variables there are (default: any upper-case
 *   name with an underscore in the section counts; a constant such as DEMO_OPTIONS is not one)
 */
export function mismatches(name, help, envList, readme, known) {
  const out = [];
  const usage = /^usage: node bin\/sync\.mjs (.*)$/m.exec(help)?.[1] ?? "";
  const about = help.slice(help.indexOf("\n") + 1).replace(envList, "");
  const section = sectionOf(readme, name);
  if (!section) return [`${name}: no heading \`${name} …\` in README.md`];
  const want = flagsOf(usage);
  for (const f of want) if (!section.flags.has(f)) out.push(`${name}: ${f} is in --help (${usage}) but not in README's heading ${section.heading}`);
  for (const f of section.flags) if (!want.has(f)) out.push(`${name}: ${f} is in README's heading ${section.heading} but not in --help (${usage})`);
  const named = new Set([...envOf(section.body)].filter((v) => !known || known.has(v)));
  const helpEnv = envOf(help);
  for (const v of envOf(about)) if (!named.has(v)) out.push(`${name}: --help names ${v}, its README section does not`);
  for (const v of named) if (!helpEnv.has(v)) out.push(`${name}: its README section names ${v}, --help does not`);
  return out;
}

/** The environment variables a tree of sources reads. @param {string[]} paths files or folders under host-example */
function envRead(paths) {
  /** @type {Map<string, string>} variable → a file that reads it */
  const found = new Map();
  const visit = (/** @type {string} */ p) => {
    if (statSync(p).isDirectory()) return readdirSync(p).forEach((f) => visit(join(p, f)));
    if (!/\.m?js$/.test(p)) return;
    const text = readFileSync(p, "utf8");
    const re = /\benv(?:\?\.|\.)([A-Z][A-Z0-9_]+)|\benv\[\s*"([A-Z][A-Z0-9_]+)"\s*\]|"((?:SYNC|CHARGEBEE|CUSTOMERP|CONSOLE|SESAM|METRICS|ALERT|LOG|EMULATOR|TRANSFORM)_[A-Z0-9_]+)"/g;
    for (const m of text.matchAll(re)) {
      const v = m[1] ?? m[2] ?? m[3];
      if (!found.has(v)) found.set(v, p.slice(HERE.length));
    }
  };
  paths.forEach((p) => visit(join(HERE, p)));
  return found;
}

/** The CLI's shared environment list, as `--help` prints it after a command's text. @param {string} usage the output of `help` */
const envListOf = (usage) => usage.slice(usage.indexOf("environment:"), usage.indexOf("exit codes:"));

test("each command's --help and its README section list the same flags and environment variables", async () => {
  const usage = await sync(["help"]);
  const envList = envListOf(usage);
  const names = usage.slice(usage.indexOf("commands:\n") + 10, usage.indexOf("`node bin/sync.mjs <command> --help`")).trim().split("\n")
    .map((l) => /^(tenant \w+|[\w-]+)/.exec(l.trim())?.[1]).filter((n) => n !== undefined);
  assert.ok(names.length >= 15 && names.includes("run") && names.includes("doctor") && names.includes("tenant add"), names.join(", "));
  const known = new Set(["NAME_FILE", ...envRead(["bin", "src"]).keys()]);
  const problems = [];
  for (const name of /** @type {string[]} */ (names)) problems.push(...mismatches(name, await sync([...name.split(" "), "--help"]), envList, README, known));
  assert.deepEqual(problems, []);
});

test("the CLI's environment list is README's table of variables", async () => {
  const envList = envListOf(await sync(["help"]));
  const table = README.slice(README.indexOf("| variable | meaning |"), README.indexOf("\n\n", README.indexOf("| variable | meaning |")));
  assert.ok(table.length > 100, "README has the table");
  assert.deepEqual([...envOf(envList)].sort(), [...envOf(table)].sort());
});

test("every environment variable the host reads is in the CLI's help and README; the local servers' are in README", async () => {
  const usage = await sync(["help"]);
  const helps = [usage];
  for (const name of ["run", "console", "sesam", "worker", "tenant add", "check-connector", "doctor"]) helps.push(await sync([...name.split(" "), "--help"]));
  const inHelp = envOf(helps.join("\n"));
  const inReadme = envOf(README);
  const host = envRead(["bin/sync.mjs", "src/app", "src/ops", "src/tenants", "src/console", "src/sesam", "src/lib"]);
  assert.ok(host.has("SYNC_DB") && host.has("SYNC_ORDERS") && host.has("SYNC_CONCURRENCY"), "the scan finds what the host reads");
  const problems = [];
  for (const [v, file] of host) {
    if (v === "SYNC_CONFIG_JSON") continue;
    if (!inHelp.has(v) && !INTERNAL.has(v)) problems.push(`${v} (read in ${file}) is not in the CLI's help`);
    if (!inReadme.has(v)) problems.push(`${v} (read in ${file}) is not in README.md`);
  }
  for (const [v, file] of envRead(["bin/servers.mjs", "bin/transform.mjs", "bin/demo.mjs", "src/local"])) {
    if (!inReadme.has(v)) problems.push(`${v} (read in ${file}) is not in README.md`);
  }
  assert.deepEqual(problems, []);
});

test("the comparison finds a flag or a variable missing on either side", () => {
  const envList = "environment: SYNC_DB\n";
  const help = "usage: node bin/sync.mjs demo [--fast] [--json]\n  Does it. Env: DEMO_TOKEN.\n" + envList;
  const good = "## Intro\n\n### `demo [--fast] [--json]`\n\nNeeds DEMO_TOKEN.\n\n### `other`\n\nOTHER_VAR\n";
  assert.deepEqual(mismatches("demo", help, envList, good), []);
  assert.deepEqual(mismatches("demo", help, envList, good.replace(" [--json]`", "`")), ["demo: --json is in --help (demo [--fast] [--json]) but not in README's heading ### `demo [--fast]`"]);
  assert.match(mismatches("demo", help, envList, good.replace("`demo [--fast] [--json]`", "`demo [--fast] [--json] [--slow]`")).join(), /--slow is in README's heading/);
  assert.deepEqual(mismatches("demo", help, envList, good.replace("Needs DEMO_TOKEN.", "Needs a token.")), ["demo: --help names DEMO_TOKEN, its README section does not"]);
  assert.deepEqual(mismatches("demo", help, envList, good.replace("Needs DEMO_TOKEN.", "Needs DEMO_TOKEN, DEMO_SECRET.")), ["demo: its README section names DEMO_SECRET, --help does not"]);
  assert.deepEqual(mismatches("demo", help, envList, "## Intro\n"), ["demo: no heading `demo …` in README.md"]);
});
