// Comments give the reason, not the ticket: no file of the repository (code, data, rendered output,
// docs) points a reader at "issue N", which nobody reading the repository can open. Upstream
// references (argoproj/argo-rollouts#4694) name their project and stay.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./helpers/repo.ts";

/** Lines that cite a ticket of this repository by number: the word issue (or issues), maybe a #, then digits. */
export function ticketReferences(text: string): { line: number; text: string }[] {
  return text.split("\n").flatMap((l, i) => (/\bissues? #?\d+/i.test(l) ? [{ line: i + 1, text: l.trim() }] : []));
}

test("no file in the repository cites an issue number", () => {
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
  assert.ok(files.length > 600, "the rendered tree is included");
  const found = files.flatMap((f) => ticketReferences(readFileSync(join(ROOT, f), "utf8")).map((r) => `${f}:${r.line}: ${r.text}`));
  assert.deepEqual(found, []);
});

test("a planted ticket reference is found, an upstream one is not", () => {
  // Spelled in pieces so this file does not cite one itself.
  const word = "issue";
  assert.deepEqual(ticketReferences(`a\n# the pool reserves them (${word} 5).\nb`), [{ line: 2, text: `# the pool reserves them (${word} 5).` }]);
  assert.equal(ticketReferences(`see ${word.toUpperCase()} #12 and ${word}s 6 and 7`).length, 1);
  assert.deepEqual(ticketReferences("fixed upstream (argoproj/argo-rollouts#4694, PR #4786); tissue 5 is a word"), []);
});
