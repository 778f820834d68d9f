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
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadRepository } from "../generators/inputs/load.ts";
import { stageId } from "../generators/naming.ts";
import { readInputs } from "../lib/inputs.ts";
import { main } from "./lib/run.ts";
import { editKeepingLayout, LayoutNotKept } from "./lib/edit-yaml.ts";
import { kubeseal } from "../toolchain/cluster.ts";

const USAGE = "usage: npm run seal -- --environment <env> --region <region> --component <component> --secret <name> --key <ENV_NAME> --cert <controller-cert.pem> < value";

await main(async () => {
  const { values } = parseArgs({
    options: { environment: { type: "string" }, region: { type: "string" }, component: { type: "string" }, secret: { type: "string" }, key: { type: "string" }, cert: { type: "string" } },
    strict: true,
  });
  const missing = ["environment", "region", "component", "secret", "key", "cert"].filter((k) => !values[k as keyof typeof values]);
  if (missing.length) throw new Error(`missing ${missing.map((m) => `--${m}`).join(", ")}\n${USAGE}`);
  const { environment, region, component, secret, key, cert } = values as Record<string, string>;
  const root = process.cwd();
  const file = `environments/${environment}/regions/${region}.yaml`;
  if (!existsSync(join(root, file))) throw new Error(`${file} does not exist`);
  if (!existsSync(cert)) throw new Error(`certificate ${cert} does not exist (kubeseal --fetch-cert against the region's cluster writes it)`);

  const raw = readFileSync(0, "utf8");
  // One trailing newline is the shell's (echo, a file), not the credential's.
  const value = raw.endsWith("\n") ? raw.slice(0, -1) : raw;
  if (value.length === 0) throw new Error("no value on standard input");

  // kubeseal --raw reads a file; Node's child stdin is a socket, which /dev/stdin cannot open. The
  // value goes to a file only this user can read, in a fresh directory removed right after.
  const dir = mkdtempSync(join(tmpdir(), "bitactor-seal-"));
  let ciphertext: string;
  try {
    const valueFile = join(dir, "value");
    writeFileSync(valueFile, value, { mode: 0o600 });
    ciphertext = execFileSync(kubeseal(), ["--raw", "--scope", "strict", "--namespace", stageId(environment, region), "--name", secret, "--cert", cert, `--from-file=${valueFile}`], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

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
  // Validate the edited inputs as a render would; on any error nothing is written.
  const inputs = (await readInputs(root)).map((f) => (f.path === file ? { path: f.path, text: edited } : f));
  loadRepository(inputs);
  await writeFile(join(root, file), edited);
  console.log(`sealed ${key} for ${stageId(environment, region)}/${secret} (strict scope) into ${file}: secrets.${secret}; run npm run render`);
});
