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
import { join } from "node:path";
import { parseDocument } from "yaml";
import { removeRepo, scratchRepo, ROOT } from "./helpers/repo.ts";
import { readInputs } from "../lib/inputs.ts";
import { readRendered } from "../lib/tree.ts";
import { parseFiles } from "../lib/objects.ts";
import { loadRepository } from "../generators/inputs/load.ts";
import { checkPolicies } from "../checks/policy.ts";
import { kubeseal } from "../toolchain/cluster.ts";

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
    const check = async (yaml: string) => {
      await writeFile(file, yaml);
      const r = tsx("render.ts", [], dir);
      assert.equal(r.status, 1);
      return r.stderr;
    };
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
