#!/usr/bin/env node
// Checks the links of every tracked Markdown file, without the network: a relative link must reach a file or
// folder of the repository (tracked, not a build output), and a `#anchor` must match a heading of the target
// Markdown file, slugged as GitHub slugs them (or an explicit `id`/`name` anchor). External links (http, https,
// any other scheme) are listed, never fetched. Exits 1 when a link is broken, naming file, line and cause.
//
//   node scripts/check-links.mjs            check, list the external links
//   node scripts/check-links.mjs --quiet    check, print only broken links and the summary
//
// The functions are exported for the tests: slug(), headingAnchors(), linksOf(), checkLinks().
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, posix, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * The anchor GitHub gives a heading's text (github-slugger): lower case, every character that is not a letter,
 * a mark, a number, a connector (`_`), a hyphen or a space dropped, each space turned into a hyphen.
 * @param {string} text the heading as rendered (inline markup already removed)
 */
export function slug(text) {
  return text.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replace(/ /g, "-");
}

/** A heading's Markdown as the text GitHub renders: code spans kept without backticks, links as their text. @param {string} md */
export function headingText(md) {
  return md
    .replace(/`+([^`]*?)`+/g, "$1")
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\[([^\]]*)\]\[[^\]]*\]/g, "$1")
    .replace(/<[^>]+>/g, "")
    .replace(/\\([!-/:-@[-`{-~])/g, "$1")
    .replace(/(\*\*|\*)(?=\S)([^*]*?\S)\1/g, "$2")
    .replace(/(^|[^\p{L}\p{N}_])(__|_)(?=\S)(.*?\S)\2(?![\p{L}\p{N}_])/gu, "$1$3");
}

/**
 * The lines of a Markdown text with fenced code blocks blanked (so nothing in them counts), and HTML comments.
 * @param {string} text @returns {string[]}
 */
function proseLines(text) {
  const lines = text.replace(/<!--[\s\S]*?-->/g, (c) => c.replace(/[^\n]/g, " ")).split("\n");
  /** @type {string | null} */
  let fence = null;
  return lines.map((line) => {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === null && m) {
      fence = m[1];
      return "";
    }
    if (fence !== null) {
      if (m && m[1][0] === fence[0] && m[1].length >= fence.length && line.trim() === m[1]) fence = null;
      return "";
    }
    return line;
  });
}

/** Every anchor a Markdown text offers: its headings' slugs (with GitHub's -1, -2 for repeats) and id/name attributes. @param {string} text */
export function headingAnchors(text) {
  const anchors = new Set();
  /** @type {Map<string, number>} */
  const seen = new Map();
  const add = (/** @type {string} */ s) => {
    const n = seen.get(s) ?? 0;
    seen.set(s, n + 1);
    anchors.add(n === 0 ? s : `${s}-${n}`);
  };
  const lines = proseLines(text);
  lines.forEach((line, i) => {
    const atx = /^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(line);
    if (atx) return add(slug(headingText(atx[1] ?? "")));
    const next = lines[i + 1];
    if (next !== undefined && line.trim() !== "" && /^ {0,3}(=+|-+)[ \t]*$/.test(next) && !/^ {0,3}([-*+]|\d+[.)])\s/.test(line) && !line.includes("|")) {
      add(slug(headingText(line)));
    }
    for (const m of line.matchAll(/<[a-z][^>]*\s(?:id|name)=["']([^"']+)["']/gi)) anchors.add(m[1]);
  });
  return anchors;
}

/**
 * The links of a Markdown text, outside code: inline links and images, reference definitions, autolinks,
 * bare URLs and HTML href/src attributes.
 * @param {string} text @returns {{ url: string, line: number }[]}
 */
export function linksOf(text) {
  /** @type {{ url: string, line: number }[]} */
  const out = [];
  proseLines(text).forEach((raw, i) => {
    const line = raw.replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, (c) => " ".repeat(c.length));
    const lineNo = i + 1;
    const def = /^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/.exec(line);
    if (def) {
      out.push({ url: def[1], line: lineNo });
      return;
    }
    // [text](dest "title") and ![alt](dest): the destination up to its balancing parenthesis.
    for (let at = line.indexOf("]("); at >= 0; at = line.indexOf("](", at + 2)) {
      let j = at + 2;
      while (line[j] === " ") j++;
      let url = "";
      if (line[j] === "<") {
        const end = line.indexOf(">", j);
        if (end < 0) continue;
        url = line.slice(j + 1, end);
      } else {
        let depth = 0;
        let k = j;
        for (; k < line.length; k++) {
          const c = line[k];
          if (c === "\\") {
            k++;
            continue;
          }
          if (c === "(") depth++;
          else if (c === ")") {
            if (depth === 0) break;
            depth--;
          } else if (c === " " || c === "\t") break;
        }
        url = line.slice(j, k);
      }
      if (url) out.push({ url, line: lineNo });
    }
    for (const m of line.matchAll(/<((?:https?|mailto|ftp):[^\s>]+)>/gi)) out.push({ url: m[1], line: lineNo });
    for (const m of line.matchAll(/\b(?:href|src)=["']([^"']+)["']/gi)) out.push({ url: m[1], line: lineNo });
    // Bare URLs, which GitHub links too (not those already inside a link's destination or an autolink).
    const stripped = line.replace(/\]\([^)]*\)/g, "").replace(/<[^>]*>/g, "");
    for (const m of stripped.matchAll(/(?<![<"'=])\bhttps?:\/\/[^\s<>()"'`]*[^\s<>()"'`.,;:!?*_]/g)) out.push({ url: m[0], line: lineNo });
  });
  return out;
}

/** The tracked Markdown files and every tracked path (to tell repository files from build outputs). @param {string} root */
function trackedFiles(root) {
  try {
    const all = execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
      .split("\0").filter(Boolean);
    return { markdown: all.filter((f) => f.endsWith(".md")), tracked: new Set(all) };
  } catch {
    // Not a git checkout (an unpacked archive): every Markdown file outside dependencies and build outputs.
    /** @type {string[]} */
    const found = [];
    const walk = (/** @type {string} */ dir) => {
      for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
        if ([".git", "node_modules", "target", "dist"].includes(e.name)) continue;
        const p = dir ? `${dir}/${e.name}` : e.name;
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith(".md")) found.push(p);
      }
    };
    walk("");
    return { markdown: found.sort(), tracked: null };
  }
}

/**
 * Checks every tracked Markdown file under `root`.
 * @param {string} [root]
 * @returns {{ files: number, checked: number, broken: { file: string, line: number, url: string, why: string }[], external: { url: string, file: string, line: number }[] }}
 */
export function checkLinks(root = ROOT) {
  const { markdown, tracked } = trackedFiles(root);
  /** @type {Map<string, Set<string>>} */
  const anchorCache = new Map();
  const anchorsOf = (/** @type {string} */ file) => {
    let a = anchorCache.get(file);
    if (!a) anchorCache.set(file, (a = headingAnchors(readFileSync(join(root, file), "utf8"))));
    return a;
  };
  const isTracked = (/** @type {string} */ p) => {
    if (!tracked) return true;
    if (tracked.has(p)) return true;
    const prefix = p === "" ? "" : `${p}/`;
    for (const t of tracked) if (t.startsWith(prefix)) return true; // a folder holding tracked files
    return false;
  };
  /** @type {{ file: string, line: number, url: string, why: string }[]} */
  const broken = [];
  /** @type {{ url: string, file: string, line: number }[]} */
  const external = [];
  let checked = 0;
  for (const file of markdown) {
    if (!existsSync(join(root, file))) continue; // deleted in the work tree, not yet committed
    for (const { url, line } of linksOf(readFileSync(join(root, file), "utf8"))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(url)) {
        external.push({ url, file, line });
        continue;
      }
      checked++;
      const bad = (/** @type {string} */ why) => broken.push({ file, line, url, why });
      const hash = url.indexOf("#");
      let pathPart = hash < 0 ? url : url.slice(0, hash);
      const anchor = hash < 0 ? null : url.slice(hash + 1);
      pathPart = pathPart.replace(/\?.*$/, "");
      let decoded;
      try {
        decoded = decodeURIComponent(pathPart);
      } catch {
        bad("the path is not valid percent-encoding");
        continue;
      }
      const target = decoded === ""
        ? file
        : decoded.startsWith("/")
          ? posix.normalize(decoded.slice(1))
          : posix.normalize(posix.join(posix.dirname(file), decoded));
      const clean = target.replace(/\/+$/, "");
      if (clean.startsWith("..") || resolve(root, clean).split(sep).join("/") !== join(root, clean).split(sep).join("/")) {
        bad("it leaves the repository");
        continue;
      }
      if (clean !== "" && !existsSync(join(root, clean))) {
        bad(`${clean} does not exist`);
        continue;
      }
      if (clean !== "" && !isTracked(clean)) {
        bad(`${clean} is not a file of the repository (untracked or a build output)`);
        continue;
      }
      if (anchor === null || anchor === "") continue;
      if (!clean.endsWith(".md") || statSync(join(root, clean)).isDirectory()) continue; // line anchors of code, rendered files
      let a;
      try {
        a = decodeURIComponent(anchor);
      } catch {
        a = anchor;
      }
      if (!anchorsOf(clean).has(a)) {
        const near = [...anchorsOf(clean)].filter((h) => h.includes(a.split("-")[0] ?? "")).slice(0, 3);
        bad(`${clean} has no heading #${a}${near.length ? ` (headings like it: ${near.map((h) => `#${h}`).join(", ")})` : ""}`);
      }
    }
  }
  return { files: markdown.length, checked, broken, external };
}

function main() {
  const quiet = process.argv.includes("--quiet");
  const { files, checked, broken, external } = checkLinks(ROOT);
  if (!quiet && external.length) {
    /** @type {Map<string, { file: string, line: number, n: number }>} */
    const byUrl = new Map();
    for (const e of external) {
      const seen = byUrl.get(e.url);
      if (seen) seen.n++;
      else byUrl.set(e.url, { file: e.file, line: e.line, n: 1 });
    }
    console.log(`external links, listed and not fetched (${byUrl.size} distinct, ${external.length} in all):`);
    for (const [url, w] of [...byUrl].sort(([a], [b]) => a.localeCompare(b))) {
      console.log(`  ${url}  (${w.file}:${w.line}${w.n > 1 ? `, and ${w.n - 1} more` : ""})`);
    }
  }
  for (const b of broken) console.error(`BROKEN ${b.file}:${b.line}: (${b.url}) ${b.why}`);
  console.log(`links: ${files} Markdown files, ${checked} relative links checked, ${external.length} external listed, ${broken.length} broken`);
  if (broken.length) process.exitCode = 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
