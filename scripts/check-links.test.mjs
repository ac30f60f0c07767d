// The link checker: GitHub's heading slugs, what counts as a link, and a small repository with good and broken
// links of every kind. `node --test scripts/check-links.test.mjs` (scripts/test.sh runs it before the check).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { checkLinks, headingAnchors, headingText, linksOf, slug } from "./check-links.mjs";

test("headings slug as GitHub slugs them", () => {
  const cases = [
    ["The operator's commands", "the-operators-commands"],
    ["`check-connector`: the contract as checks", "check-connector-the-contract-as-checks"],
    ["Customerp Customer to Chargebee Business_entity", "customerp-customer-to-chargebee-business_entity"],
    ["`run [--watch [s]] [--runs N] [--flows a,b]`", "run---watch-s---runs-n---flows-ab"],
    ["Where the code is stricter or looser than the model", "where-the-code-is-stricter-or-looser-than-the-model"],
    ["Héllo, Wörld — 2 × 3", "héllo-wörld--2--3"],
    ["[Linked](other.md) and **bold** and _em_ text", "linked-and-bold-and-em-text"],
    ["ETags and If-Match", "etags-and-if-match"],
  ];
  for (const [heading, want] of cases) assert.equal(slug(headingText(heading)), want, heading);
});

test("anchors: ATX and setext headings, repeats numbered, code fences ignored, id and name attributes", () => {
  const md = [
    "# Title", "", "## Notes", "text", "## Notes", "", "Setext heading", "--------------", "",
    "```md", "## Not a heading", "```", "", '<a id="custom-spot"></a>', "### Closed heading ###",
  ].join("\n");
  assert.deepEqual([...headingAnchors(md)].sort(), ["closed-heading", "custom-spot", "notes", "notes-1", "setext-heading", "title"]);
});

test("links: inline, images, reference definitions, autolinks, bare URLs; none inside code", () => {
  const md = [
    'See [a](docs/a.md#part "title") and ![img](pics/x.png), [w](https://en.wikipedia.org/wiki/Foo_(bar)).',
    "[ref]: ../other.md",
    "<https://example.com/auto> and https://example.com/bare.",
    "`[not](a-link.md)` and <a href=\"html.md\">x</a>",
    "```", "[inside](fence.md)", "```",
  ].join("\n");
  assert.deepEqual(linksOf(md).map((l) => l.url), [
    "docs/a.md#part", "pics/x.png", "https://en.wikipedia.org/wiki/Foo_(bar)", "../other.md",
    "https://example.com/auto", "https://example.com/bare", "html.md",
  ]);
});

test("a repository: good links pass, every broken kind is named, external links are listed", () => {
  const dir = mkdtempSync(join(tmpdir(), "check-links-"));
  try {
    const write = (/** @type {string} */ p, /** @type {string} */ text) => {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), text);
    };
    write("README.md", [
      "# Top", "[doc](docs/guide.md#the-part) [self](#top) [folder](docs/) [root](/docs/guide.md)",
      "[missing file](docs/nope.md) [missing anchor](docs/guide.md#no-such-part) [out](../elsewhere.md)",
      "[untracked](build/out.md) [code line](src/x.rs#L3) https://example.com/page",
    ].join("\n"));
    write("docs/guide.md", "# Guide\n\n## The part\n\n[back](../README.md#top)\n");
    write("src/x.rs", "fn main() {}\n");
    write("build/out.md", "# generated\n");
    write(".gitignore", "build/\n");
    execFileSync("git", ["init", "-q"], { cwd: dir });
    execFileSync("git", ["add", "."], { cwd: dir });
    const r = checkLinks(dir);
    assert.equal(r.files, 2);
    assert.deepEqual(r.broken.map((b) => [b.file, b.url]), [
      ["README.md", "docs/nope.md"],
      ["README.md", "docs/guide.md#no-such-part"],
      ["README.md", "../elsewhere.md"],
      ["README.md", "build/out.md"],
    ]);
    assert.match(r.broken[1].why, /has no heading #no-such-part/);
    assert.match(r.broken[2].why, /leaves the repository/);
    assert.match(r.broken[3].why, /not a file of the repository/);
    assert.deepEqual(r.external.map((e) => e.url), ["https://example.com/page"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
