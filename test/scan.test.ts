// npm run scan catches what it is there for: problems planted in a scratch copy of the repository
// (npm test also runs it on the repository itself, where it must find nothing unreviewed).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT, removeRepo, scratchRepo } from "./helpers/repo.ts";
import { nosemgrepIssues, scanFiles, scanGroups, trivyIgnoreIssues, trustedRegistries } from "../checks/scan.ts";
import { committedModel } from "./helpers/repo.ts";

const HEADER = "# Rendered by `npm run render` from engine/ and environments/. Do not edit: change the inputs and render.\n";

test("planted problems: a privileged pod, a privileged Rollout, an image from an untrusted registry, a shell injection, I/O in a generator, ignores without reasons", async () => {
  const dir = await scratchRepo();
  try {
    const shared = "rollouts/staging/us-east-1/shared";
    await writeFile(join(dir, shared, "pod-debug.yaml"), `${HEADER}apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: staging-us-east-1
spec:
  containers:
    - name: shell
      image: docker.io/library/busybox@sha256:${"1".repeat(64)}
      securityContext:
        privileged: true
`);
    // A quota that bounds pods only: KSV-0040 on it, and on nothing else (checks/scan.ts SCAN_APART_KINDS).
    await writeFile(join(dir, shared, "resourcequota-pods.yaml"), `${HEADER}apiVersion: v1
kind: ResourceQuota
metadata:
  name: pods
  namespace: staging-us-east-1
spec:
  hard:
    pods: "40"
`);
    // Trivy knows no Rollouts: the scan shows it each Rollout's pod template.
    const rollout = "rollouts/staging/us-east-1/order-engine/rollout-order-engine.yaml";
    const text = await readFile(join(dir, rollout), "utf8");
    assert.match(text, /readOnlyRootFilesystem: true/);
    await writeFile(join(dir, rollout), text.replace(/allowPrivilegeEscalation: false/, "allowPrivilegeEscalation: false\n            privileged: true"));
    await mkdir(join(dir, "scripts"));
    await writeFile(join(dir, "scripts", "planted.ts"), `import { execSync } from "node:child_process";
import { readFileSync } from "node:fs";
export const pods = (context: string) => execSync(\`kubectl --context \${context} get pods\`, { encoding: "utf8" });
export const read = (f: string) => readFileSync(f, "utf8");
// nosemgrep
`);
    await mkdir(join(dir, "generators"));
    await writeFile(join(dir, "generators", "planted.ts"), `import { readFileSync } from "node:fs";\nexport const x = readFileSync;\n`);
    // The reviewed exceptions, plus one without a reason.
    const ignores = await readFile(join(ROOT, ".trivyignore.yaml"), "utf8");
    await writeFile(join(dir, ".trivyignore.yaml"), `${ignores}  - id: KSV-0030\n    paths: ["rollouts/none/**"]\n`);
    const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "scripts", "scan.ts"), dir], { cwd: ROOT, encoding: "utf8" });
    const out = r.stdout + r.stderr;
    assert.equal(r.status, 1, out);
    // Trivy: the planted Pod (privileged, untrusted registry) and the Rollout's pod template.
    assert.match(out, new RegExp(`${shared}/pod-debug\\.yaml:\\d+: trivy KSV-0017 \\(HIGH\\): Privileged`));
    assert.match(out, new RegExp(`${shared}/pod-debug\\.yaml:\\d+: trivy KSV-0125 \\(MEDIUM\\): Restrict container images to trusted registries`));
    assert.match(out, new RegExp(`${rollout}: trivy KSV-0017 \\(HIGH\\): Privileged[^\\n]*\\n    its pod template: `));
    assert.deepEqual(out.match(/^\S+: trivy KSV-0040 /gm), [`${shared}/resourcequota-pods.yaml:8: trivy KSV-0040 `]);
    // Semgrep: the injection at its line; the same fs import is fine in scripts/ and a finding in generators/.
    assert.match(out, /scripts\/planted\.ts:3: semgrep bitactor-shell-injection \(ERROR\)/);
    assert.match(out, /generators\/planted\.ts:1: semgrep bitactor-generator-io \(ERROR\)/);
    assert.doesNotMatch(out, /scripts\/planted\.ts:2: semgrep/);
    // Ignores without a reason are refused, a bare nosemgrep too.
    const planted = (ignores.match(/^  - id: /gm) ?? []).length;
    assert.match(out, new RegExp(`\\.trivyignore\\.yaml: /misconfigurations/${planted}/statement: say why this finding is accepted`));
    assert.match(out, /scripts\/planted\.ts:5: a Semgrep ignore must name the rule and the reason/);
    assert.match(out, /npm run scan: trivy v0\.74\.0 over \d+ rendered files \(35 Rollout pod templates\)/);
  } finally {
    await removeRepo(dir);
  }
});

test("the scan's inputs: a Rollout view per Rollout, trusted registries from the catalog, the ignore-file and nosemgrep rules", async () => {
  const files = scanFiles(new Map([
    ["a/rollout-x.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: x}\nspec: {replicas: 2, selector: {matchLabels: {a: b}}, template: {spec: {containers: []}}}\n"],
    ["a/service-x.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: x}\n"],
  ]));
  assert.deepEqual(files.map((f) => [f.path, f.source, f.kind]), [["a/rollout-x.yaml", "a/rollout-x.yaml", "Rollout"], ["a/rollout-x.yaml.rollout-pod-template.yaml", "a/rollout-x.yaml", "Deployment"], ["a/service-x.yaml", "a/service-x.yaml", "Service"]]);
  assert.deepEqual(JSON.parse(files[1]!.text), { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" }, spec: { replicas: 2, selector: { matchLabels: { a: "b" } }, template: { spec: { containers: [] } } } });
  assert.deepEqual(trustedRegistries((await committedModel()).catalog), ["registry.bitactor.internal"]);
  const groups = scanGroups([...files, { path: "a/resourcequota-q.yaml", text: "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q}\n", source: "a/resourcequota-q.yaml", kind: "ResourceQuota" }]);
  assert.deepEqual([groups.apart.map((f) => f.path), groups.rest.map((f) => f.path)], [["a/resourcequota-q.yaml"], ["a/rollout-x.yaml", "a/rollout-x.yaml.rollout-pod-template.yaml", "a/service-x.yaml"]]);
  assert.deepEqual(trivyIgnoreIssues(await readFile(join(ROOT, ".trivyignore.yaml"), "utf8")), []);
  assert.deepEqual(trivyIgnoreIssues("misconfigurations:\n  - id: privileged\n    paths: []\n    statement: short\n    until: 2027-01-01\n"), [
    ".trivyignore.yaml: /misconfigurations/0/id: a Trivy check id (KSV-0125) is required",
    ".trivyignore.yaml: /misconfigurations/0/paths: name the rendered files the exception covers (globs allowed); an exception for everything hides the next finding",
    ".trivyignore.yaml: /misconfigurations/0/statement: say why this finding is accepted (at least 30 characters)",
    ".trivyignore.yaml: /misconfigurations/0/until: unknown field (allowed: id, paths, statement)",
  ]);
  assert.deepEqual(nosemgrepIssues("f.ts", "x(); // nosemgrep: bitactor-shell-injection -- the command is a constant string\ny(); // nosemgrep: bitactor-shell-injection\n"), [
    "f.ts:2: a Semgrep ignore must name the rule and the reason: // nosemgrep: <rule-id> -- <why this is safe>",
  ]);
});
