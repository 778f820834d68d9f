// The GitOps e2e's own logic, without a cluster: the test tree differs from the committed tree only
// where its three edits say, the README's bootstrap block is what the e2e runs, and the AppProject
// rule check and the report behave.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { REPO } from "../lib/repo.ts";
import { readRendered } from "../lib/tree.ts";
import { createTestRepository, git, jsonDifferences, unexplainedDifferences } from "../harness/gitops/test-tree.ts";
import { createSealingKey } from "../harness/gitops/sealing.ts";
import { sealValue } from "../toolchain/cluster.ts";
import { readWithoutCredential, startGitServer } from "../harness/gitops/git-server.ts";
import { MARKER, bootstrapCommands } from "../harness/gitops/bootstrap.ts";
import { projectViolations, type AppProject, type Application } from "../harness/gitops/argo-state.ts";
import { stepTable } from "../harness/gitops/report.ts";
import { servable } from "../harness/gitops/mirrors.ts";
import { installPushWebhook } from "../harness/gitops/push-webhook.ts";
import { unpublishedRelease } from "../harness/gitops/addon-upgrade.ts";
import { broughtByAddon } from "../harness/e2e/cluster.ts";
import { targetCrds } from "../toolchain/sources.ts";
import { toolVersions } from "../lib/versions.ts";

type Json = NonNullable<Parameters<typeof jsonDifferences>[0]>;
const parsed = async (root: string) => new Map([...(await readRendered(root))].map(([p, t]) => [p, parse(t) as Json]));

// The add-ons as the e2e serves them: each servable one from a mirror (a URL here; the e2e makes the repository).
const { served, unserved } = servable(toolVersions());
const ADDONS = { served: served.map(({ id }) => ({ id, url: `file:///mirrors/${id}.git` })), unserved, startAt: { "prometheus-operator": "v0.94.0" } };

const STAGES = [
  { environment: "staging", region: "us-east-1", prometheusUrl: "http://127.0.0.1:9001" },
  { environment: "production", region: "us-east-1", prometheusUrl: "http://127.0.0.1:9002" },
];

test("the test tree differs from the committed tree only by its URL, its Prometheus addresses and the regions it leaves out", async () => {
  const dir = mkdtempSync(join(tmpdir(), "bitactor-test-tree-"));
  try {
    const repo = join(dir, "repo");
    // The e2e's access: a local host that demands a credential, sealed for a management key made here.
    const key = createSealingKey(join(dir, "sealing"), "kube-system");
    const ciphertexts: Record<string, string> = {};
    const credential = (environment: string) => ({
      username: (ciphertexts[`${environment}/username`] = sealValue(key.certFile, "argocd", `${environment}-repository`, "argocd")),
      password: (ciphertexts[`${environment}/password`] = sealValue(key.certFile, "argocd", `${environment}-repository`, "a-token")),
    });
    const { url } = await createTestRepository(REPO, repo, { url: "http://127.0.0.1:8418/repo", credential }, STAGES, ADDONS);
    assert.equal(url, "http://127.0.0.1:8418/repo");
    const committed = await parsed(REPO);
    const testTree = await parsed(repo);
    // Edit 1's credential: one SealedSecret per environment beside its root, the Secret Argo CD reads the repository with.
    for (const env of ["production", "staging"]) {
      assert.deepEqual((testTree.get(`apps/${env}/sealedsecret-${env}-repository.yaml`) as { spec: unknown }).spec, {
        encryptedData: { password: ciphertexts[`${env}/password`], username: ciphertexts[`${env}/username`] },
        template: {
          metadata: { name: `${env}-repository`, namespace: "argocd", labels: { "app.kubernetes.io/managed-by": "bitactor-gitops", "app.kubernetes.io/part-of": "bitactor", "bitactor.io/environment": env, "argocd.argoproj.io/secret-type": "repository" } },
          type: "Opaque",
          data: { type: "git", url },
        },
      });
    }
    const removed = [
      { environment: "production", region: "ap-northeast-1", cluster: "bitactor-prod-apne1" },
      { environment: "production", region: "asia-east2", cluster: "bitactor-prod-ase2" },
      { environment: "production", region: "eu-west-1", cluster: "bitactor-prod-euw1" },
      { environment: "production", region: "southeastasia", cluster: "bitactor-prod-sea" },
      { environment: "production", region: "us-east-2", cluster: "bitactor-prod-use2" },
    ];
    assert.deepEqual(unexplainedDifferences(committed, testTree, removed, ADDONS, true), []);
    // Without the credential edit, its files and the roots' projects admitting SealedSecrets are unexplained.
    assert.deepEqual(unexplainedDifferences(committed, testTree, removed, ADDONS).sort(), [
      "apps/production/appproject-production-bootstrap.yaml: /spec/description differs",
      "apps/production/appproject-production-bootstrap.yaml: /spec/namespaceResourceWhitelist differs",
      "apps/production/sealedsecret-production-repository.yaml: only in the test tree",
      "apps/staging/appproject-staging-bootstrap.yaml: /spec/description differs",
      "apps/staging/appproject-staging-bootstrap.yaml: /spec/namespaceResourceWhitelist differs",
      "apps/staging/sealedsecret-staging-repository.yaml: only in the test tree",
    ]);
    // The edits did happen: every Application, ApplicationSet and AppProject names the local URL
    // (the add-ons': their mirrors).
    const argo = [...testTree.values()].filter((o) => /^(Application|ApplicationSet|AppProject)$/.test((o as { kind: string }).kind));
    const addonOf = (o: Json) => (o as { metadata: { labels?: Record<string, string> } }).metadata.labels?.["bitactor.io/addon"];
    const isArgoCd = (o: Json) => (o as { metadata: { name: string } }).metadata.name === "argocd";
    const platformObjects = argo.filter((o) => addonOf(o) !== undefined || isArgoCd(o) || /-addons$/.test((o as { metadata: { name: string } }).metadata.name));
    // Per environment root, its project, the ApplicationSets' Application; per stage its ApplicationSet,
    // its Prometheus' Application, workload, platform and (AWS) nodes projects; staging's stage also its chaos project.
    assert.equal(argo.length - platformObjects.length, 2 * 7 + 2 + 1);
    for (const o of argo.filter((x) => !platformObjects.includes(x))) assert.ok(JSON.stringify(o).includes(url), (o as { kind: string }).kind);
    // Argo CD's own Application and project, the management cluster's add-on project and its
    // sealed-secrets Application, and per stage its add-on project and the Applications of the add-ons
    // served (both test stages are AWS stages; Karpenter, an OCI chart, is not served).
    assert.ok(unserved.some((u) => u.id === "karpenter"));
    assert.equal(platformObjects.length, 2 + 2 + 2 * (1 + ADDONS.served.length - 1));
    for (const o of platformObjects.filter((x) => (x as { kind: string }).kind === "Application")) {
      const id = addonOf(o) ?? "argo-cd";
      assert.equal((o as { spec: { source: { repoURL: string } } }).spec.source.repoURL, `file:///mirrors/${id}.git`, id);
      // The add-on the e2e upgrades starts a release behind; every other one at its pin.
      const pin = (toolVersions().addons[id] as { version: string }).version;
      assert.equal((o as { spec: { source: { targetRevision: string } } }).spec.source.targetRevision, id === "prometheus-operator" ? "v0.94.0" : pin, id);
    }
    assert.ok(!JSON.stringify([...testTree.values()]).includes("aps-workspaces"), "no managed Prometheus address is left");
    assert.equal([...testTree.keys()].filter((p) => p.startsWith("rollouts/production/")).every((p) => p.startsWith("rollouts/production/us-east-1/")), true);

    // Negative cases: any other change is named.
    const edited = new Map(testTree);
    const rolloutPath = "rollouts/production/us-east-1/order-engine/rollout-order-engine.yaml";
    const rollout = structuredClone(edited.get(rolloutPath)) as { spec: { replicas: number } };
    rollout.spec.replicas = 5;
    edited.set(rolloutPath, rollout as unknown as Json);
    edited.delete("rollouts/staging/us-east-1/shared/service-otel-collector.yaml");
    edited.set("rollouts/staging/us-east-1/shared/secret-x.yaml", { kind: "Secret" });
    const project = structuredClone(edited.get("applicationsets/production/appproject-production-us-east-1.yaml")) as { spec: { destinations: unknown[] } };
    project.spec.destinations.push({ name: "bitactor-prod-euw1", namespace: "production-eu-west-1" });
    edited.set("applicationsets/production/appproject-production-us-east-1.yaml", project as unknown as Json);
    // An add-on project that names a source neither committed nor mirrored; an add-on Application gone.
    const addonsProject = "applicationsets/production/appproject-production-us-east-1-addons.yaml";
    const ap = structuredClone(edited.get(addonsProject)) as { spec: { sourceRepos: string[]; clusterResourceWhitelist: unknown[]; destinations: unknown[] } };
    ap.spec.sourceRepos.push("https://example.com/other.git");
    // ... and a kind and a namespace no committed add-on of the stage needs.
    ap.spec.clusterResourceWhitelist.push({ group: "", kind: "Node" });
    ap.spec.destinations.push({ name: "bitactor-prod-use1", namespace: "default" });
    edited.set(addonsProject, ap as unknown as Json);
    edited.delete("applicationsets/production/application-production-us-east-1-argo-rollouts.yaml");
    // Another add-on at a release the test tree does not start it at.
    const sealedPath = "applicationsets/production/application-production-us-east-1-sealed-secrets.yaml";
    const sealed = structuredClone(edited.get(sealedPath)) as { spec: { source: { targetRevision: string } } };
    sealed.spec.source.targetRevision = "v0.39.0";
    edited.set(sealedPath, sealed as unknown as Json);
    assert.deepEqual(unexplainedDifferences(committed, edited, removed, ADDONS, true).sort(), [
      "applicationsets/production/application-production-us-east-1-argo-rollouts.yaml: missing from the test tree",
      `${sealedPath}: /spec/source/targetRevision differs`,
      `${addonsProject}: /spec/clusterResourceWhitelist holds kinds the committed project does not`,
      `${addonsProject}: /spec/destinations are not among the committed ones minus the removed regions' clusters`,
      `${addonsProject}: /spec/sourceRepos hold https://example.com/other.git, not only the committed upstreams or their mirrors`,
      "applicationsets/production/appproject-production-us-east-1.yaml: /spec/destinations are not the committed ones minus the removed regions' clusters",
      `${rolloutPath}: /spec/replicas differs`,
      "rollouts/staging/us-east-1/shared/secret-x.yaml: only in the test tree",
      "rollouts/staging/us-east-1/shared/service-otel-collector.yaml: missing from the test tree",
    ]);
    // A region left out only explains its own files.
    assert.ok(unexplainedDifferences(committed, testTree, removed.slice(1), ADDONS, true).some((p) => p.startsWith("rollouts/production/ap-northeast-1/") && p.endsWith("missing from the test tree")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("jsonDifferences names each differing path", () => {
  assert.deepEqual(jsonDifferences({ a: 1, b: [1, 2], c: { d: "x" } }, { a: 1, b: [1, 3], c: { d: "y", e: 1 } }), ["/b/1", "/c/d", "/c/e"]);
  assert.deepEqual(jsonDifferences([1], [1, 2]), [""]);
  assert.deepEqual(jsonDifferences({ a: 1 }, { a: 1 }), []);
});

test("the README's bootstrap block is what the e2e runs: kubectl and argocd only, every file it applies exists", () => {
  const commands = bootstrapCommands(readFileSync(join(REPO, "README.md"), "utf8"));
  assert.ok(commands.length >= 5);
  const CREDENTIALS = "for credential in $(find apps -name 'sealedsecret-*-repository.yaml'); do kubectl ";
  for (const c of commands) assert.ok(/^(kubectl |argocd |for cluster in \$\(npm run --silent clusters\); )/.test(c) || c.startsWith(CREDENTIALS), c);
  // Files named in the block (the sealing key and each credential are variables: the user's file, and what find lists).
  const applied = commands.flatMap((c) => [...c.matchAll(/-f ([^"\s]\S*)/g)].map((m) => m[1]!));
  assert.ok(applied.length >= 2);
  for (const f of applied) assert.doesNotThrow(() => readFileSync(join(REPO, f)), f);
  // Argo CD's own Application and project, the sealed-secrets controller of its cluster with its
  // project, then each environment's root and its project: the roots bring everything else.
  assert.deepEqual(applied.map((f) => f.replace(/^apps\/[a-z]+\//, "")).sort(), [
    "application-argocd.yaml",
    "application-management-sealed-secrets.yaml",
    "application-production-root.yaml",
    "application-staging-root.yaml",
    "appproject-argocd.yaml",
    "appproject-management-addons.yaml",
    "appproject-production-bootstrap.yaml",
    "appproject-staging-bootstrap.yaml",
  ]);
  // The repository credentials before any root (without them Argo CD cannot read the roots), each
  // unsealed (Synced) first; the sealing key before the controller that reads it starts.
  const at = (p: (c: string) => boolean) => {
    const i = commands.findIndex(p);
    assert.ok(i >= 0, `no such command in the block: ${p}`);
    return i;
  };
  const rootAt = at((c) => /application-(staging|production)-root/.test(c));
  assert.ok(at((c) => c.startsWith(CREDENTIALS) && c.includes("kubectl wait --for=condition=Synced")) < rootAt);
  assert.ok(at((c) => c.includes('-f "$SEALING_KEY"')) < at((c) => c.includes("application-management-sealed-secrets.yaml")));
  assert.ok(at((c) => c.startsWith("argocd app wait argocd management-sealed-secrets ")) < at((c) => c.startsWith(CREDENTIALS)));
  // Argo CD manages itself before the roots apply: its Application health check orders their waves.
  const firstRoot = commands.findIndex((c) => /application-(staging|production)-root/.test(c));
  assert.ok(commands.findIndex((c) => c.startsWith("argocd app wait argocd ")) < firstRoot && commands.some((c) => c.startsWith("argocd app wait argocd ")));
  // The one manual install the README asks for is Argo CD's, at the release tools/versions.json pins.
  const pin = toolVersions().addons["argo-cd"] as { version: string };
  const installs = [...readFileSync(join(REPO, "README.md"), "utf8").matchAll(/argo-cd\/manifests\/[a-z/-]+\?ref=(\S+?)"/g)].map((m) => m[1]);
  assert.deepEqual(installs, [pin.version]);
  assert.throws(() => bootstrapCommands("# no marker\n```sh\nls\n```\n"), /has no <!-- e2e:gitops/);
  assert.throws(() => bootstrapCommands(`${MARKER}\nno block`), /no sh code block/);
  assert.deepEqual(bootstrapCommands(`${MARKER}\n\`\`\`sh\n# a comment\nkubectl get ns   # why\n\n\`\`\`\n`), ["kubectl get ns"]);
});

test("projectViolations: a kind the project does not list, or a destination it does not admit, is named", () => {
  const project: AppProject = {
    metadata: { name: "production" },
    spec: {
      destinations: [{ name: "bitactor-prod-use1", namespace: "production-us-east-1" }],
      clusterResourceWhitelist: [{ group: "", kind: "Namespace" }],
      namespaceResourceWhitelist: [{ group: "argoproj.io", kind: "Rollout" }],
    },
  };
  const app: Application = { metadata: { name: "production-us-east-1-order-engine" }, spec: { project: "production", destination: { name: "bitactor-prod-use1", namespace: "production-us-east-1" }, source: { path: "x" } } };
  const ok = { group: "argoproj.io", kind: "Rollout", namespace: "production-us-east-1", name: "order-engine", namespaced: true };
  assert.deepEqual(projectViolations(app, project, [ok, { group: "", kind: "Namespace", name: "production-us-east-1", namespaced: false }]), []);
  // Argo CD's rule: an unset namespaced whitelist admits every namespaced kind, never a cluster-scoped one.
  const open = { ...project, spec: { ...project.spec, namespaceResourceWhitelist: undefined } };
  assert.deepEqual(projectViolations(app, open, [{ ...ok, group: "apps", kind: "Deployment" }]), []);
  assert.equal(projectViolations(app, { ...project, spec: { ...project.spec, namespaceResourceWhitelist: [] } }, [{ ...ok, group: "apps", kind: "Deployment" }]).length, 1);
  assert.equal(projectViolations(app, { ...open, spec: { ...open.spec, clusterResourceWhitelist: undefined } }, [{ group: "", kind: "Namespace", name: "x", namespaced: false }]).length, 1);
  assert.deepEqual(projectViolations(app, project, [
    { ...ok, kind: "Secret", group: "" },
    { ...ok, namespace: "kube-system" },
    { group: "rbac.authorization.k8s.io", kind: "ClusterRoleBinding", name: "x", namespaced: false },
  ]), [
    "production-us-east-1-order-engine: core/Secret production-us-east-1/order-engine: kind not admitted by project production",
    "production-us-east-1-order-engine: argoproj.io/Rollout kube-system/order-engine on bitactor-prod-use1: not a destination of project production",
    "production-us-east-1-order-engine: rbac.authorization.k8s.io/ClusterRoleBinding x: kind not admitted by project production",
  ]);
  const elsewhere: Application = { ...app, spec: { ...app.spec, destination: { name: "bitactor-prod-euw1" } } };
  assert.deepEqual(projectViolations(elsewhere, project, [ok]), ["production-us-east-1-order-engine: argoproj.io/Rollout production-us-east-1/order-engine on bitactor-prod-euw1: not a destination of project production"]);
});

test("the step table: one row per step, ✓ or ✗, seconds or -", () => {
  const table = stepTable([
    { step: "(a) x", expected: "promoted", observed: "promoted", problems: [], toSynced: 4, toDecision: 190 },
    { step: "(b) y|z", expected: "aborted", observed: "failed", problems: ["no"], toSynced: null, toDecision: null },
  ]);
  assert.equal(table.split("\n").length, 4);
  assert.match(table, /^\| \(a\) x \| promoted \| promoted ✓ \| 4 \| 190 \|$/m);
  assert.match(table, /^\| \(b\) y\\\|z \| aborted \| failed ✗ \| - \| - \|$/m);
});



test("npm run clusters prints each region's cluster name once, for one environment or all; an unknown environment is refused", () => {
  const clusters = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(REPO, "scripts", "clusters.ts"), ...args], { cwd: REPO, encoding: "utf8" });
  const all = clusters();
  assert.equal(all.status, 0, all.stderr);
  const expected = [...new Set(readdirSync(join(REPO, "environments"), { recursive: true, encoding: "utf8" })
    .filter((f) => /regions\/[^/]+\.yaml$/.test(f))
    .map((f) => /^cluster:\n {2}# .*\n {2}name: (\S+)$|^cluster:\n {2}name: (\S+)$/m.exec(readFileSync(join(REPO, "environments", f), "utf8")))
    .map((m) => m![1] ?? m![2]))].sort();
  assert.equal(expected.length, 7);
  assert.deepEqual(all.stdout.trim().split("\n"), expected);
  assert.deepEqual(clusters("--environment", "staging").stdout.trim().split("\n"), ["bitactor-stag-use1"]);
  const bad = clusters("--environment", "prod");
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /no environment prod: choose from production, staging/);
});

test("the harness installs no CRD an add-on Application brings, and every CRD no served add-on brings", () => {
  const crds = targetCrds();
  const brought = (ids: readonly string[]) => new Set(crds.filter((c) => broughtByAddon(c, ids)).map((c) => c.object.metadata.name));
  const served = brought(ADDONS.served.map((a) => a.id));
  for (const name of ["rollouts.argoproj.io", "analysisruns.argoproj.io", "podmonitors.monitoring.coreos.com", "prometheusrules.monitoring.coreos.com", "sealedsecrets.bitnami.com"]) assert.ok(served.has(name), name);
  // Karpenter is not served (an OCI chart): the harness still installs its CRDs, as it does Velero's and Istio's.
  for (const name of ["nodepools.karpenter.sh", "ec2nodeclasses.karpenter.k8s.aws", "schedules.velero.io", "peerauthentications.security.istio.io"]) assert.ok(!served.has(name), name);
  // An add-on that is not served brings nothing; one whose CRDs are not listed under its id neither.
  assert.equal(brought([]).size, 0);
  assert.ok(brought(["karpenter"]).has("nodepools.karpenter.sh"));
});

test("(v)'s release its source lacks: same shape as the pin (the render takes it), never one the mirror holds", () => {
  assert.equal(unpublishedRelease("v2.20.0", ["v2.20.0"]), "v2.20.99");
  assert.equal(unpublishedRelease("v2.20.0", ["v2.20.0", "v2.20.99", "v2.20.100"]), "v2.20.101");
  assert.equal(unpublishedRelease("1.15.1", ["1.15.1"]), "1.15.99");
  assert.throws(() => unpublishedRelease("v1.2", []), /v1\.2 is not a plain release/);
  assert.throws(() => unpublishedRelease("latest", []), /latest is not a plain release/);
});

test("the e2e's git host answers only with its credential: a read without it is refused (401), a clone with it gets the commit", async () => {
  const dir = mkdtempSync(join(tmpdir(), "bitactor-git-host-"));
  const repo = join(dir, "repo");
  const sh = (args: string[], cwd = dir) => new Promise<{ code: number; out: string }>((resolve) => {
    execFile("git", ["-c", "user.name=t", "-c", "user.email=t@bitactor.invalid", "-c", "credential.helper=", ...args], { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } }, (e, stdout, stderr) => resolve({ code: e ? 1 : 0, out: `${stdout}${stderr}` }));
  });
  const server = await startGitServer(repo);
  try {
    assert.equal((await sh(["init", "-q", "-b", "main", repo])).code, 0);
    writeFileSync(join(repo, "a"), "one\n");
    assert.equal((await sh(["add", "a"], repo)).code, 0);
    assert.equal((await sh(["commit", "-qm", "one"], repo)).code, 0);
    const head = (await sh(["rev-parse", "HEAD"], repo)).out.trim();
    const anonymous = await readWithoutCredential(server.url);
    assert.equal(anonymous.ok, false);
    const wrong = await sh(["ls-remote", server.url.replace("http://", `http://${server.username}:not-the-token@`)]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.out, /Authentication failed|401/);
    const clone = await sh(["clone", "-q", server.url.replace("http://", `http://${server.username}:${server.password}@`), join(dir, "clone")]);
    assert.equal(clone.code, 0, clone.out);
    assert.equal((await sh(["rev-parse", "HEAD"], join(dir, "clone"))).out.trim(), head);
    const counts = server.counts();
    assert.ok(counts.refused >= 2, JSON.stringify(counts));
    assert.ok(counts.served >= 1, JSON.stringify(counts));
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("every commit to the test repository reaches Argo CD as the git host's push event; a refused one is recorded", async () => {
  const dir = mkdtempSync(join(tmpdir(), "push-webhook-"));
  try {
    // Argo CD's API server serves TLS with a certificate it made itself: so does this stand-in.
    execFileSync("openssl", ["req", "-x509", "-nodes", "-newkey", "rsa:2048", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-subj", "/CN=argocd-server", "-days", "1"], { stdio: "ignore" });
    const received: { path: string; event: string; body: Record<string, unknown> }[] = [];
    let answer = 200;
    const server = createHttpsServer({ key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) }, (req, res) => {
      let text = "";
      req.on("data", (c) => (text += c));
      req.on("end", () => {
        received.push({ path: `${req.method} ${req.url}`, event: String(req.headers["x-github-event"]), body: JSON.parse(text) });
        res.writeHead(answer).end(answer === 200 ? "" : "Webhook processing failed");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const repo = join(dir, "repo");
    mkdirSync(repo);
    git(repo, "init", "-q", "-b", "main");
    // The test repository's package.json makes its .js files ES modules; the hook must run regardless.
    writeFileSync(join(repo, "package.json"), '{ "type": "module" }\n');
    const hook = installPushWebhook(repo, "http://127.0.0.1:18291/repo", `127.0.0.1:${port}`);
    git(repo, "add", "-A");
    // Not the harness's git(), which blocks: the hook's request needs this process's event loop to be answered.
    const commit = (...args: string[]) => new Promise<void>((resolve, reject) => execFile("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: repo }, (e) => (e ? reject(e) : resolve())));
    await commit("commit", "-q", "-m", "one");
    const first = git(repo, "rev-parse", "HEAD");
    await commit("revert", "--no-edit", "HEAD");
    const reverted = git(repo, "rev-parse", "HEAD");
    answer = 400;
    await commit("commit", "-q", "--allow-empty", "-m", "refused");
    const refused = git(repo, "rev-parse", "HEAD");
    server.close();
    const push = (after: string) => ({ path: "POST /api/webhook", event: "push", body: { ref: "refs/heads/main", after, repository: { html_url: "http://127.0.0.1:18291/repo", default_branch: "main" } } });
    assert.deepEqual(received, [push(first), push(reverted), push(refused)]);
    assert.deepEqual(hook.failures(), [`${refused}: HTTP 400 Webhook processing failed`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
