// The README and docs/ send a reader only where something is: relative links and their anchors
// resolve, every `npm run <x>` is a script, every path in backticks that starts at the top of the
// repository exists. Then each kind of broken reference, planted in a copy, is found with its line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./helpers/repo.ts";
import { anchors, docProblems, repositoryDocs, type DocSources } from "../checks/docs.ts";

const PAGES = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const real = repositoryDocs(ROOT, PAGES);

test("README.md and every page of docs/ resolve", () => {
  assert.ok(PAGES.length >= 10, PAGES.join(", "));
  assert.deepEqual(docProblems(real), []);
});

test("the README stays a short entry point (at most ~200 lines) and links every page of docs/", () => {
  const readme = real.pages.get("README.md")!;
  assert.ok(readme.split("\n").length <= 210, `README.md has ${readme.split("\n").length} lines`);
  for (const p of PAGES.filter((p) => p.startsWith("docs/"))) assert.ok(readme.includes(`](${p})`), `README.md does not link ${p}`);
});

test("GitHub's heading anchors", () => {
  assert.deepEqual(
    [...anchors("# Nodes: pools per cloud and their configuration\n## Credentials (`npm run seal`)\n```\n# not a heading\n```\n## Figures\n## Figures\n")],
    ["nodes-pools-per-cloud-and-their-configuration", "credentials-npm-run-seal", "figures", "figures-1"],
  );
});

test("each kind of broken reference is found, with its page and line", () => {
  const withPage = (text: string): DocSources => ({ ...real, pages: new Map([...real.pages, ["docs/planted.md", text]]) });
  const found = (text: string) => docProblems(withPage(text)).filter((p) => p.file === "docs/planted.md").map((p) => `${p.line}: ${p.message}`);
  assert.deepEqual(found("# Planted\n\nsee [the gate](gate.md)\n"), []);
  assert.deepEqual(found("# Planted\n\nsee [the gate](gat.md)\n"), ["3: link gat.md: docs/gat.md does not exist"]);
  assert.deepEqual(found("x\nsee [figures](versions.md#figurs)\n"), ["2: link versions.md#figurs: docs/versions.md has no heading #figurs"]);
  assert.deepEqual(found("# Here\n[up](#her)\n"), ["2: link #her: docs/planted.md has no heading #her"]);
  assert.deepEqual(found("run `npm run rendr` first\n"), ["1: npm run rendr: package.json has no script rendr"]);
  assert.deepEqual(found("```sh\nnpm run e2e:gitop\n```\n"), ["2: npm run e2e:gitop: package.json has no script e2e:gitop"]);
  assert.deepEqual(found("the check lives in `generators/policy.ts`\n"), ["1: `generators/policy.ts` does not exist"]);
  // Placeholders, module paths and API versions are not repository paths.
  assert.deepEqual(found("`rollouts/<env>/<region>/` `k8s.io/kubernetes` `apps/v1` `networking.k8s.io/v1` [site](https://argoproj.github.io)\n"), []);
});
