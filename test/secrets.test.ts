// Credentials only sealed: `npm run seal` seals a value with a region's controller certificate
// (kubeseal, tools/versions.json) into the region file; the render turns it into a SealedSecret and
// secretKeyRef environment variables; the controller's private key unseals exactly the value, for
// exactly that namespace and name (strict scope). Throw-away keys from openssl stand in for a
// region's sealed-secrets controller. The value never reaches git, the rendered tree or the output.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseDocument } from "yaml";
import { removeRepo, scratchRepo, ROOT } from "./helpers/repo.ts";
import { readInputs } from "../lib/inputs.ts";
import { readRendered } from "../lib/tree.ts";
import { parseFiles } from "../lib/objects.ts";
import { loadRepository } from "../generators/inputs/load.ts";
import { checkPolicies } from "../checks/policy.ts";
import { kubectl, kubeseal } from "../toolchain/cluster.ts";

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const VALUE = "correct horse battery staple 7f3a";
const REGION_FILE = "environments/production/regions/us-east-1.yaml";
const SEALED = "rollouts/production/us-east-1/execution-gateway/sealedsecret-nyse-fix.yaml";
let keys: string;
let repo: string;
let sealOut: string;

const tsx = (script: string, args: string[], cwd: string, input?: string) =>
  spawnSync(process.execPath, ["--import", import.meta.resolve("tsx"), join(ROOT, "scripts", script), ...args], { cwd, input, encoding: "utf8" });
const sealArgs = (secret: string, key: string, component = "execution-gateway") => ["--environment", "production", "--region", "us-east-1", "--component", component, "--secret", secret, "--key", key, "--cert", join(keys, "cert.pem")];

/** Writes `yaml` to `file` in the scratch repository `dir` (when given), renders, and returns why the render refused. */
async function refusedRender(dir: string, file?: string, yaml?: string): Promise<string> {
  if (file !== undefined && yaml !== undefined) await writeFile(file, yaml);
  const r = tsx("render.ts", [], dir);
  assert.equal(r.status, 1, "the render must refuse");
  return r.stderr;
}

/**
 * Seals a login (`seal.ts` with `args`, the secret on standard input) into `file` of the scratch
 * repository `dir`, and checks what every sealed login must hold: the two fields under `at` are
 * kubeseal output, the only lines added (everything people wrote is kept), the plaintext is in no
 * output; then renders and checks it is in no rendered file either. Returns what a test goes on from.
 */
async function sealLoginAndRender(dir: string, args: string[], file: string, at: readonly [string, string], plaintext: string) {
  const before = await readFile(join(dir, file), "utf8");
  const r = tsx("seal.ts", args, dir, `${plaintext}\n`);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!(r.stdout + r.stderr).includes(plaintext));
  const now = await readFile(join(dir, file), "utf8");
  const sealed = parseDocument(now).toJS()[at[0]][at[1]] as Record<string, string>;
  assert.equal(Object.keys(sealed).length, 2);
  for (const v of Object.values(sealed)) assert.match(v, /^[A-Za-z0-9+/]{600,}={0,2}$/);
  const added = new RegExp(`^\\s+(${[at[1], ...Object.keys(sealed)].join("|")}):`);
  assert.equal(now.split("\n").filter((l) => !added.test(l)).join("\n"), before);
  const render = tsx("render.ts", [], dir);
  assert.equal(render.status, 0, render.stderr);
  const tree = await readRendered(dir);
  for (const [path, text] of tree) assert.ok(!text.includes(plaintext), path);
  return { before, stdout: r.stdout, sealed, tree, objects: parseFiles(tree) };
}

before(async () => {
  keys = await mkdtemp(join(tmpdir(), "bitactor-sealing-"));
  // A region's controller key pair: RSA 4096 and a self-signed certificate, as the controller makes.
  execFileSync("openssl", ["req", "-x509", "-nodes", "-newkey", "rsa:4096", "-keyout", join(keys, "key.pem"), "-out", join(keys, "cert.pem"), "-subj", "/O=sealed-secret", "-days", "2"], { stdio: "ignore" });
  repo = await scratchRepo();
  const r = tsx("seal.ts", sealArgs("nyse-fix", "NYSE_FIX_PASSWORD"), repo, VALUE + "\n");
  assert.equal(r.status, 0, r.stderr);
  sealOut = r.stdout + r.stderr;
  const render = tsx("render.ts", [], repo);
  assert.equal(render.status, 0, render.stderr);
});

after(async () => {
  await removeRepo(repo);
  await rm(keys, { recursive: true, force: true });
});

test("npm run seal records only ciphertext, keeps the rest of the region file byte for byte, and never prints the value", async () => {
  const before = await readFile(join(ROOT, REGION_FILE), "utf8");
  const now = await readFile(join(repo, REGION_FILE), "utf8");
  assert.ok(now.startsWith(before), "everything people wrote is kept as written; the secret is appended");
  const added = parseDocument(now).toJS().secrets;
  assert.deepEqual(Object.keys(added), ["nyse-fix"]);
  assert.equal(added["nyse-fix"].component, "execution-gateway");
  assert.match(added["nyse-fix"].encryptedData.NYSE_FIX_PASSWORD, /^[A-Za-z0-9+/]{600,}={0,2}$/);
  assert.ok(!now.includes(VALUE) && !sealOut.includes(VALUE));
  assert.match(sealOut, /sealed NYSE_FIX_PASSWORD for production-us-east-1\/nyse-fix \(strict scope\)/);
  for (const [path, text] of await readRendered(repo)) assert.ok(!text.includes(VALUE), path);
});

test("the render emits a SealedSecret and secretKeyRef environment; the policy gate passes the tree", async () => {
  const objects = parseFiles(await readRendered(repo));
  const sealed = objects.find((o) => o.file === SEALED)!.object as Any;
  assert.equal(sealed.kind, "SealedSecret");
  assert.equal(sealed.metadata.namespace, "production-us-east-1");
  assert.deepEqual(Object.keys(sealed.spec.encryptedData), ["NYSE_FIX_PASSWORD"]);
  assert.equal(sealed.spec.template.metadata.name, "nyse-fix");
  const rollout = objects.find((o) => o.file === "rollouts/production/us-east-1/execution-gateway/rollout-execution-gateway.yaml")!.object as Any;
  assert.deepEqual(rollout.spec.template.spec.containers[0].env.find((e: Any) => e.name === "NYSE_FIX_PASSWORD"), { name: "NYSE_FIX_PASSWORD", valueFrom: { secretKeyRef: { key: "NYSE_FIX_PASSWORD", name: "nyse-fix" } } });
  const model = loadRepository(await readInputs(repo));
  assert.deepEqual(checkPolicies(objects.map((o) => ({ path: o.file, object: o.object as never })), model), []);
  // kubeconform, strict, against sealed-secrets' own CRD (the committed tree has no SealedSecret to check).
  const kc = tsx("validate.ts", [], repo);
  assert.equal(kc.status, 0, kc.stdout + kc.stderr);
  assert.match(kc.stdout, new RegExp(`${(await readRendered(ROOT)).size + 1} objects accepted, 0 rejected`));
});

test("the controller's key unseals exactly the value, as this name in this namespace; renamed, it refuses (strict scope)", async () => {
  const text = await readFile(join(repo, SEALED), "utf8");
  const unseal = (yaml: string) => spawnSync(kubeseal(), ["--recovery-unseal", "--recovery-private-key", join(keys, "key.pem"), "-o", "json"], { input: yaml, encoding: "utf8" });
  const ok = unseal(text);
  assert.equal(ok.status, 0, ok.stderr);
  const secret = JSON.parse(ok.stdout);
  assert.equal(secret.metadata.name, "nyse-fix");
  assert.equal(Buffer.from(secret.data.NYSE_FIX_PASSWORD, "base64").toString("utf8"), VALUE);
  const moved = unseal(text.replace("name: nyse-fix", "name: nyse-fix-copy"));
  assert.notEqual(moved.status, 0);
  assert.match(moved.stderr, /decryption error|cannot unseal|no key could decrypt/i);
});

test("inputs refuse a pasted plaintext, a component not in the region, and one variable from two secrets", async () => {
  const dir = await scratchRepo();
  try {
    const file = join(dir, REGION_FILE);
    const text = await readFile(join(repo, REGION_FILE), "utf8");
    const cipher = parseDocument(text).toJS().secrets["nyse-fix"].encryptedData.NYSE_FIX_PASSWORD;
    const check = (yaml: string) => refusedRender(dir, file, yaml);
    assert.match(await check(text.replace(cipher, "hunter22")), /us-east-1\.yaml:\d+:\d+: \/secrets\/nyse-fix\/encryptedData\/NYSE_FIX_PASSWORD: must NOT have fewer than 344 characters/);
    assert.match(await check(text.replace("component: execution-gateway", "component: pricing-engine")), /\/secrets\/nyse-fix\/component: "pricing-engine" is not deployed in this region/);
    assert.match(await check(`${text}  nyse-fix-2:\n    component: execution-gateway\n    encryptedData:\n      NYSE_FIX_PASSWORD: ${cipher}\n`), /\/secrets\/nyse-fix-2\/encryptedData\/NYSE_FIX_PASSWORD: execution-gateway already gets NYSE_FIX_PASSWORD from secret "nyse-fix"/);
  } finally {
    await removeRepo(dir);
  }
});

test("npm run seal refuses missing arguments, an empty value, and an unknown component, writing nothing", async () => {
  const dir = await scratchRepo();
  try {
    const original = await readFile(join(dir, REGION_FILE), "utf8");
    const none = tsx("seal.ts", ["--environment", "production"], dir, VALUE);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /missing --region, --component, --secret, --key, --cert/);
    const empty = tsx("seal.ts", sealArgs("nyse-fix", "NYSE_FIX_PASSWORD"), dir, "");
    assert.match(empty.stderr, /no value on standard input/);
    const unknown = tsx("seal.ts", sealArgs("nyse-fix", "NYSE_FIX_PASSWORD", "pricing-engine"), dir, VALUE);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /render failed, nothing was written[\s\S]*"pricing-engine" is not deployed in this region/);
    assert.equal(await readFile(join(dir, REGION_FILE), "utf8"), original);
  } finally {
    await removeRepo(dir);
  }
});

test("every committed region file survives the seal script's YAML round trip byte for byte", async () => {
  const regions = (await readInputs(ROOT)).filter((f) => f.path.includes("/regions/"));
  assert.equal(regions.length, 7);
  for (const f of regions) assert.equal(parseDocument(f.text).toString({ lineWidth: 0, flowCollectionPadding: false }), f.text, f.path);
});

test("npm run seal refuses to rewrite a file whose formatting would change, and prints the lines to add", async () => {
  const dir = await scratchRepo();
  try {
    const file = join(dir, REGION_FILE);
    // Both padding styles in one file: no output style reproduces it.
    const mixed = (await readFile(file, "utf8")).replace("cidrs: [10.64.1.0/24]", "cidrs: [ 10.64.1.0/24 ]");
    await writeFile(file, mixed);
    const r = tsx("seal.ts", sealArgs("nyse-fix", "NYSE_FIX_PASSWORD"), dir, VALUE);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /uses formatting the YAML writer would change; nothing was written\. Add under secrets: by hand:\n  nyse-fix:\n    component: execution-gateway\n    encryptedData:\n      NYSE_FIX_PASSWORD: [A-Za-z0-9+/]{600,}/);
    assert.equal(await readFile(file, "utf8"), mixed);
  } finally {
    await removeRepo(dir);
  }
});

// Argo CD's read credential for an environment's repository: sealed for the management cluster's key
// (a throw-away one here) into environment.yaml; rendered beside the root as the SealedSecret the
// management cluster's controller unseals into the repository Secret Argo CD reads.
const ENV_FILE = "environments/production/environment.yaml";
const CREDENTIAL = "apps/production/sealedsecret-production-repository.yaml";
const TOKEN = "glpat-7f3a-not-a-real-token-c0ffee";
const repoSealArgs = () => ["--environment", "production", "--repository", "--username", "argocd-reader", "--cert", join(keys, "cert.pem")];

test("npm run seal --repository: the credential sealed into environment.yaml, rendered beside the root, never pruned, admitted only by that root's project", async () => {
  const dir = await scratchRepo();
  try {
    const { stdout, sealed: credential, tree, objects } = await sealLoginAndRender(dir, repoSealArgs(), ENV_FILE, ["repository", "credential"], TOKEN);
    assert.match(stdout, /sealed the repository credential for argocd\/production-repository \(strict scope\) into environments\/production\/environment\.yaml: repository\.credential/);
    assert.deepEqual(Object.keys(credential).sort(), ["password", "username"]);
    const sealed = objects.find((o) => o.file === CREDENTIAL)!.object as Any;
    assert.deepEqual(sealed.metadata.annotations, { "argocd.argoproj.io/sync-options": "Prune=false", "argocd.argoproj.io/sync-wave": "-2" });
    assert.equal(sealed.metadata.namespace, "argocd");
    assert.deepEqual(sealed.spec.encryptedData, { password: credential.password, username: credential.username });
    assert.deepEqual(sealed.spec.template.data, { type: "git", url: "https://git.bitactor.internal/platform/bitactor-gitops.git" });
    assert.equal(sealed.spec.template.metadata.labels["argocd.argoproj.io/secret-type"], "repository");
    // Only the root that carries it may sync a SealedSecret, and only into Argo CD's namespace.
    const kinds = (env: string) => ((objects.find((o) => o.file === `apps/${env}/appproject-${env}-bootstrap.yaml`)!.object as Any).spec.namespaceResourceWhitelist as Any[]).map((k) => `${k.group}/${k.kind}`);
    assert.deepEqual(kinds("production"), ["argoproj.io/AppProject", "argoproj.io/Application", "argoproj.io/ApplicationSet", "bitnami.com/SealedSecret"]);
    assert.deepEqual(kinds("staging"), ["argoproj.io/AppProject", "argoproj.io/Application", "argoproj.io/ApplicationSet"]);
    assert.ok(![...tree.keys()].some((p) => p.startsWith("apps/staging/sealedsecret-")));
    // The policy gate passes it (no plaintext, nothing that looks like a credential in the clear).
    assert.deepEqual(checkPolicies(objects.map((o) => ({ path: o.file, object: o.object as never })), loadRepository(await readInputs(dir))), []);
    // The management key unseals it into the repository Secret, as this name in this namespace only.
    const text = tree.get(CREDENTIAL)!;
    const unseal = (yaml: string) => spawnSync(kubeseal(), ["--recovery-unseal", "--recovery-private-key", join(keys, "key.pem"), "-o", "json"], { input: yaml, encoding: "utf8" });
    const ok = unseal(text);
    assert.equal(ok.status, 0, ok.stderr);
    const secret = JSON.parse(ok.stdout);
    const data = Object.fromEntries(Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
    assert.deepEqual(data, { password: TOKEN, type: "git", url: "https://git.bitactor.internal/platform/bitactor-gitops.git", username: "argocd-reader" });
    assert.equal(secret.metadata.labels["argocd.argoproj.io/secret-type"], "repository");
    assert.notEqual(unseal(text.replace(/namespace: argocd/g, "namespace: default")).status, 0);
  } finally {
    await removeRepo(dir);
  }
});

test("a repository credential is refused as plaintext, over plain http to another host, and by seal without its arguments, writing nothing", async () => {
  const dir = await scratchRepo();
  try {
    const file = join(dir, ENV_FILE);
    const original = await readFile(file, "utf8");
    const render = (yaml: string) => refusedRender(dir, file, yaml);
    const withCredential = (password: string) => original.replace("  targetRevision: main\n", `  targetRevision: main\n  credential:\n    username: ${"A".repeat(400)}\n    password: ${password}\n`);
    assert.match(await render(withCredential("hunter22")), /environment\.yaml:\d+:\d+: \/repository\/credential\/password: must NOT have fewer than 344 characters/);
    assert.match(await render(original.replace("url: https://git.bitactor.internal/", "url: http://git.bitactor.internal/")), /environment\.yaml:\d+:\d+: \/repository\/url: must match \^\(https:\/\/\|ssh.*\(got "http:\/\/git\.bitactor\.internal\//);
    assert.match(await render(original.replace("  targetRevision: main\n", `  targetRevision: main\n  credential:\n    username: ${"A".repeat(400)}\n`)), /environment\.yaml:\d+:\d+: \/repository\/credential: missing required key "password"/);
    await writeFile(file, original);
    const missing = tsx("seal.ts", ["--environment", "production", "--repository", "--cert", join(keys, "cert.pem")], dir, TOKEN);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /missing --username/);
    const mixed = tsx("seal.ts", [...repoSealArgs(), "--region", "us-east-1"], dir, TOKEN);
    assert.equal(mixed.status, 1);
    assert.match(mixed.stderr, /--region belong to another credential/);
    const empty = tsx("seal.ts", repoSealArgs(), dir, "");
    assert.match(empty.stderr, /no value on standard input/);
    assert.equal(await readFile(file, "utf8"), original);
  } finally {
    await removeRepo(dir);
  }
});

// Grafana's admin login for one region: sealed for the region's controller into the region file,
// rendered in the add-on's own folder and synced by the Grafana add-on's Application as its second
// source, so the Secret the chart's admin.existingSecret names arrives with the pod that reads it.
const GRAFANA_SEALED = "rollouts/production/us-east-1/grafana/sealedsecret-grafana-admin.yaml";
const GRAFANA_APP = (stage: string) => `applicationsets/production/application-${stage}-grafana.yaml`;
const GRAFANA_PASSWORD = "grafana-7f3a-not-a-real-password";
const grafanaSealArgs = () => ["--environment", "production", "--region", "us-east-1", "--grafana-admin", "--username", "admin", "--cert", join(keys, "cert.pem")];

test("npm run seal --grafana-admin: the login sealed into the region file, rendered for the Grafana add-on's Application as its second source, unsealed as the Secret its values name", async () => {
  const dir = await scratchRepo();
  try {
    const { before, stdout, sealed: admin, tree, objects } = await sealLoginAndRender(dir, grafanaSealArgs(), REGION_FILE, ["grafana", "admin"], GRAFANA_PASSWORD);
    assert.match(stdout, /sealed the Grafana admin login for monitoring\/grafana-admin \(strict scope\) into environments\/production\/regions\/us-east-1\.yaml: grafana\.admin/);
    assert.deepEqual(Object.keys(admin).sort(), ["password", "user"]);
    const get = (file: string) => objects.find((o) => o.file === file)?.object as Any;
    const sealed = get(GRAFANA_SEALED);
    const labels = { "app.kubernetes.io/managed-by": "bitactor-gitops", "app.kubernetes.io/part-of": "bitactor", "bitactor.io/cloud": "aws", "bitactor.io/component": "grafana", "bitactor.io/environment": "production", "bitactor.io/region": "us-east-1" };
    assert.deepEqual(sealed, {
      apiVersion: "bitnami.com/v1alpha1",
      kind: "SealedSecret",
      metadata: { name: "grafana-admin", namespace: "monitoring", labels },
      spec: { encryptedData: { "admin-password": admin.password, "admin-user": admin.user }, template: { metadata: { name: "grafana-admin", namespace: "monitoring", labels }, type: "Opaque" } },
    });
    // The folder is nobody else's: the Grafana Application of that stage reads it as a second source;
    // every other stage's keeps its one source.
    const app = get(GRAFANA_APP("production-us-east-1"));
    assert.equal(app.spec.source, undefined);
    assert.deepEqual(app.spec.sources[1], { repoURL: "https://git.bitactor.internal/platform/bitactor-gitops.git", targetRevision: "main", path: "rollouts/production/us-east-1/grafana" });
    assert.deepEqual(app.spec.sources[0], get(GRAFANA_APP("production-us-east-2")).spec.source);
    assert.deepEqual([...tree.keys()].filter((p) => /^rollouts\/[^/]+\/[^/]+\/grafana\//.test(p)), [GRAFANA_SEALED]);
    const repos = (stage: string) => get(`applicationsets/production/appproject-${stage}-addons.yaml`).spec.sourceRepos as string[];
    assert.ok(repos("production-us-east-1").includes("https://git.bitactor.internal/platform/bitactor-gitops.git"));
    assert.ok(!repos("production-us-east-2").includes("https://git.bitactor.internal/platform/bitactor-gitops.git"));
    // The cluster object carries Grafana's address, never its login.
    assert.deepEqual(get("rollouts/production/us-east-1/platform/bitactorcluster-production-us-east-1.yaml").spec.grafana, { url: parseDocument(before).toJS().grafana.url });
    assert.deepEqual(checkPolicies(objects.map((o) => ({ path: o.file, object: o.object as never })), loadRepository(await readInputs(dir))), []);
    // kubeconform, strict: the SealedSecret against sealed-secrets' CRD, the two-source Application against Argo CD's.
    const kc = tsx("validate.ts", [], dir);
    assert.equal(kc.status, 0, kc.stdout + kc.stderr);
    assert.match(kc.stdout, new RegExp(`${(await readRendered(ROOT)).size + 1} objects accepted, 0 rejected`));
    // The region's key unseals it into the Secret Grafana reads, as this name in this namespace only.
    const unseal = (yaml: string) => spawnSync(kubeseal(), ["--recovery-unseal", "--recovery-private-key", join(keys, "key.pem"), "-o", "json"], { input: yaml, encoding: "utf8" });
    const ok = unseal(tree.get(GRAFANA_SEALED)!);
    assert.equal(ok.status, 0, ok.stderr);
    const secret = JSON.parse(ok.stdout);
    assert.equal(`${secret.metadata.namespace}/${secret.metadata.name}`, "monitoring/grafana-admin");
    const data = Object.fromEntries(Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
    assert.deepEqual(data, { "admin-password": GRAFANA_PASSWORD, "admin-user": "admin" });
    assert.notEqual(unseal(tree.get(GRAFANA_SEALED)!.replace(/namespace: monitoring/g, "namespace: production-us-east-1")).status, 0);
  } finally {
    await removeRepo(dir);
  }
});

test("a Grafana login is refused as plaintext, where the Grafana add-on does not go or reads no Secret, and by seal without its arguments, writing nothing", async () => {
  const dir = await scratchRepo();
  try {
    const file = join(dir, REGION_FILE);
    const original = await readFile(file, "utf8");
    const render = () => refusedRender(dir);
    const sealed = "A".repeat(400);
    const withAdmin = (password: string) => original.replace(/^grafana:\n(  url: .*\n)/m, `grafana:\n$1  admin:\n    user: ${sealed}\n    password: ${password}\n`);
    assert.notEqual(withAdmin(sealed), original, "the region file has a grafana block to add to");
    await writeFile(file, withAdmin("hunter22"));
    assert.match(await render(), /us-east-1\.yaml:\d+:\d+: \/grafana\/admin\/password: must NOT have fewer than 344 characters/);
    await writeFile(file, withAdmin(sealed));
    const addons = join(dir, "engine/addons.yaml");
    const addonsText = await readFile(addons, "utf8");
    await writeFile(addons, addonsText.replace("  grafana:\n", "  grafana:\n    when: { environments: [staging] }\n"));
    assert.match(await render(), /us-east-1\.yaml:\d+:\d+: \/grafana\/admin: the Grafana admin login is sealed here, but engine\/addons\.yaml delivers no grafana add-on to production-us-east-1/);
    await writeFile(addons, addonsText.replace("          existingSecret: grafana-admin\n", ""));
    assert.match(await render(), /\/grafana\/admin: the Grafana admin login is sealed here, but the grafana add-on's aws values name no admin\.existingSecret/);
    await writeFile(addons, addonsText);
    await writeFile(file, original);
    const missing = tsx("seal.ts", ["--environment", "production", "--region", "us-east-1", "--grafana-admin", "--cert", join(keys, "cert.pem")], dir, GRAFANA_PASSWORD);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /missing --username/);
    const mixed = tsx("seal.ts", [...grafanaSealArgs(), "--component", "execution-gateway"], dir, GRAFANA_PASSWORD);
    assert.equal(mixed.status, 1);
    assert.match(mixed.stderr, /--component belong to another credential/);
    assert.match(tsx("seal.ts", grafanaSealArgs(), dir, "").stderr, /no value on standard input/);
    assert.equal(await readFile(file, "utf8"), original);
  } finally {
    await removeRepo(dir);
  }
});

test("docs/security.md's lines that make the management cluster's sealing key give the Secret the controller registers, whose key unseals what seal makes with its certificate", async () => {
  const doc = await readFile(join(ROOT, "docs/security.md"), "utf8");
  const section = doc.slice(doc.indexOf("## Argo CD's repository credential"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  // The key-making lines: everything before the per-environment seal.
  const lines = block.slice(0, block.indexOf("# each environment")).split("\n").filter((l) => l.trim() !== "").join("\n");
  assert.match(lines, /openssl req -x509[\s\S]*kubectl create secret tls[\s\S]*kubectl label --local/);
  const dir = await mkdtemp(join(tmpdir(), "bitactor-doc-key-"));
  try {
    // As the doc says, with no cluster: --dry-run=client and --local never reach a server.
    const made = spawnSync("bash", ["-euo", "pipefail", "-c", lines], { cwd: dir, encoding: "utf8", env: { PATH: `${dirname(kubectl())}:${process.env.PATH}`, HOME: dir, KUBECONFIG: join(dir, "none") } });
    assert.equal(made.status, 0, made.stderr);
    const secret = parseDocument(await readFile(join(dir, "management-sealing-key.yaml"), "utf8")).toJS();
    assert.equal(secret.kind, "Secret");
    assert.equal(secret.type, "kubernetes.io/tls");
    assert.equal(secret.metadata.namespace, "kube-system");
    // sealed-secrets registers every Secret with this label in its namespace at start (README "Bring your own certificates").
    assert.deepEqual(secret.metadata.labels, { "sealedsecrets.bitnami.com/sealed-secrets-key": "active" });
    await writeFile(join(dir, "recovered.key"), Buffer.from(secret.data["tls.key"], "base64"));
    assert.equal(Buffer.from(secret.data["tls.crt"], "base64").toString("utf8"), await readFile(join(dir, "management.pem"), "utf8"));
    const sealed = spawnSync(kubeseal(), ["--cert", join(dir, "management.pem"), "--scope", "strict", "-o", "yaml"], {
      input: JSON.stringify({ apiVersion: "v1", kind: "Secret", metadata: { name: "production-repository", namespace: "argocd" }, stringData: { password: TOKEN } }),
      encoding: "utf8",
    });
    assert.equal(sealed.status, 0, sealed.stderr);
    const back = spawnSync(kubeseal(), ["--recovery-unseal", "--recovery-private-key", join(dir, "recovered.key"), "-o", "json"], { input: sealed.stdout, encoding: "utf8" });
    assert.equal(back.status, 0, back.stderr);
    assert.equal(Buffer.from(JSON.parse(back.stdout).data.password, "base64").toString("utf8"), TOKEN);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
