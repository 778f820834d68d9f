// npm run seal: seal one credential for one region and record the ciphertext in its region file.
//
//   kubeseal --fetch-cert --controller-namespace kube-system > us-east-1.pem    # once, against the region's cluster
//   npm run seal -- --environment production --region us-east-1 --component execution-gateway \
//     --secret nyse-fix --key NYSE_FIX_PASSWORD --cert us-east-1.pem < value-file
//
// The value is read from standard input (never an argument, so never in shell history or `ps`),
// sealed by kubeseal (tools/versions.json) with strict scope for <environment>-<region>/<secret>, and
// written into environments/<env>/regions/<region>.yaml under `secrets.<secret>` with comments and
// layout kept. The edited inputs are validated before anything is written; the value is never printed.
//
// Argo CD's read credential for an environment's repository (a user and its token), sealed for the
// management cluster's controller (its sealing key's certificate, docs/security.md):
//
//   npm run seal -- --environment production --repository --username argocd-reader --cert management.pem < token-file
//
// sealed with strict scope for <argocd namespace>/<env>-repository, into environments/<env>/environment.yaml
// under `repository.credential` (username and password), the same way.
//
// Grafana's admin login for one region (a user and its password), sealed for the region's controller
// with strict scope for the Secret the Grafana add-on's values name (engine/addons.yaml
// admin.existingSecret, in the add-on's namespace), into the region file under `grafana.admin`:
//
//   npm run seal -- --environment production --region us-east-1 --grafana-admin --username admin --cert us-east-1.pem < password-file
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadRepository } from "../generators/inputs/load.ts";
import { names, stageId } from "../generators/naming.ts";
import { readInputs } from "../lib/inputs.ts";
import { main } from "./lib/run.ts";
import { editKeepingLayout, LayoutNotKept } from "./lib/edit-yaml.ts";
import { sealValue } from "../toolchain/cluster.ts";
import { grafanaAdminSecret } from "../generators/inputs/addon-semantics.ts";

const USAGE = "usage: npm run seal -- --environment <env> --region <region> --component <component> --secret <name> --key <ENV_NAME> --cert <controller-cert.pem> < value\n       npm run seal -- --environment <env> --repository --username <user> --cert <management-cert.pem> < token\n       npm run seal -- --environment <env> --region <region> --grafana-admin --username <user> --cert <controller-cert.pem> < password";

/** The value on standard input: one trailing newline is the shell's (echo, a file), not the credential's. */
function readValue(): string {
  const raw = readFileSync(0, "utf8");
  const value = raw.endsWith("\n") ? raw.slice(0, -1) : raw;
  if (value.length === 0) throw new Error("no value on standard input");
  return value;
}

/** Writes `edited` to `file` only if the inputs with it load as a render would; on any error nothing is written. */
async function validateAndWrite(root: string, file: string, edited: string): Promise<void> {
  const inputs = (await readInputs(root)).map((f) => (f.path === file ? { path: f.path, text: edited } : f));
  loadRepository(inputs);
  await writeFile(join(root, file), edited);
}

/**
 * Writes sealed fields under `at` (a two-key path: the block and its credential) into `file`, the
 * rest of the file kept byte for byte and the inputs validated first; where the layout cannot be
 * kept, writes nothing and says which lines to add by hand.
 */
async function writeSealed(root: string, file: string, at: readonly [string, string], fields: Readonly<Record<string, string>>): Promise<void> {
  const text = readFileSync(join(root, file), "utf8");
  let edited: string;
  try {
    edited = editKeepingLayout(file, text, (doc) => {
      for (const [k, v] of Object.entries(fields)) doc.setIn([...at, k], v);
    });
  } catch (e) {
    if (!(e instanceof LayoutNotKept)) throw e;
    throw new Error(`${e.message}. Add under ${at[0]}: by hand:\n  ${at[1]}:\n${Object.entries(fields).map(([k, v]) => `    ${k}: ${v}`).join("\n")}`);
  }
  await validateAndWrite(root, file, edited);
}

/** Refuses flags of another kind of credential, then missing ones, each with the usage. */
function checkFlags(values: Readonly<Record<string, unknown>>, mode: string, what: string, required: readonly string[], foreign: readonly string[]): void {
  const extra = foreign.filter((k) => values[k] !== undefined);
  if (extra.length) throw new Error(`--${mode} seals ${what}: ${extra.map((m) => `--${m}`).join(", ")} belong to another credential\n${USAGE}`);
  const missing = required.filter((k) => !values[k]);
  if (missing.length) throw new Error(`missing ${missing.map((m) => `--${m}`).join(", ")}\n${USAGE}`);
}

await main(async () => {
  const { values } = parseArgs({
    options: { environment: { type: "string" }, region: { type: "string" }, component: { type: "string" }, secret: { type: "string" }, key: { type: "string" }, cert: { type: "string" }, repository: { type: "boolean" }, "grafana-admin": { type: "boolean" }, username: { type: "string" } },
    strict: true,
  });
  const root = process.cwd();
  if (values.repository) {
    checkFlags(values, "repository", "the environment's repository credential", ["environment", "username", "cert"], ["region", "component", "secret", "key", "grafana-admin"]);
    const { environment, username, cert } = values as Record<string, string>;
    const file = `environments/${environment}/environment.yaml`;
    if (!existsSync(join(root, file))) throw new Error(`${file} does not exist`);
    if (!existsSync(cert)) throw new Error(`certificate ${cert} does not exist (the management cluster's sealing key: docs/security.md)`);
    const token = readValue();
    const settings = loadRepository(await readInputs(root)).environments.find((e) => e.settings.environment === environment)!.settings;
    const name = names.repositoryCredential(environment);
    await writeSealed(root, file, ["repository", "credential"], { username: sealValue(cert, settings.argocd.namespace, name, username), password: sealValue(cert, settings.argocd.namespace, name, token) });
    console.log(`sealed the repository credential for ${settings.argocd.namespace}/${name} (strict scope) into ${file}: repository.credential; run npm run render`);
    return;
  }
  if (values["grafana-admin"]) {
    checkFlags(values, "grafana-admin", "the region's Grafana admin login", ["environment", "region", "username", "cert"], ["component", "secret", "key", "repository"]);
    const { environment, region, username, cert } = values as Record<string, string>;
    const file = `environments/${environment}/regions/${region}.yaml`;
    if (!existsSync(join(root, file))) throw new Error(`${file} does not exist`);
    if (!existsSync(cert)) throw new Error(`certificate ${cert} does not exist (kubeseal --fetch-cert against the region's cluster writes it)`);
    const password = readValue();
    const model = loadRepository(await readInputs(root));
    const settings = model.environments.find((e) => e.settings.environment === environment)!.regions.find((r) => r.region === region)!;
    const secret = grafanaAdminSecret(model.addons, settings.cloud);
    if (!secret) throw new Error(`the grafana add-on's ${settings.cloud} values name no admin.existingSecret, admin.userKey and admin.passwordKey (engine/addons.yaml): Grafana would not read a sealed login`);
    await writeSealed(root, file, ["grafana", "admin"], { user: sealValue(cert, secret.namespace, secret.name, username), password: sealValue(cert, secret.namespace, secret.name, password) });
    console.log(`sealed the Grafana admin login for ${secret.namespace}/${secret.name} (strict scope) into ${file}: grafana.admin; run npm run render`);
    return;
  }
  const missing = ["environment", "region", "component", "secret", "key", "cert"].filter((k) => !values[k as keyof typeof values]);
  if (missing.length) throw new Error(`missing ${missing.map((m) => `--${m}`).join(", ")}\n${USAGE}`);
  const { environment, region, component, secret, key, cert } = values as Record<string, string>;
  const file = `environments/${environment}/regions/${region}.yaml`;
  if (!existsSync(join(root, file))) throw new Error(`${file} does not exist`);
  if (!existsSync(cert)) throw new Error(`certificate ${cert} does not exist (kubeseal --fetch-cert against the region's cluster writes it)`);
  const value = readValue();
  const ciphertext = sealValue(cert, stageId(environment, region), secret, value);

  const text = readFileSync(join(root, file), "utf8");
  let edited: string;
  try {
    edited = editKeepingLayout(file, text, (doc) => {
      doc.setIn(["secrets", secret, "component"], component);
      doc.setIn(["secrets", secret, "encryptedData", key], ciphertext);
    });
  } catch (e) {
    if (!(e instanceof LayoutNotKept)) throw e;
    throw new Error(`${e.message}. Add under secrets: by hand:\n  ${secret}:\n    component: ${component}\n    encryptedData:\n      ${key}: ${ciphertext}`);
  }
  await validateAndWrite(root, file, edited);
  console.log(`sealed ${key} for ${stageId(environment, region)}/${secret} (strict scope) into ${file}: secrets.${secret}; run npm run render`);
});
