// npm run infra:validate [-- <folder>]
//
// `tofu init` and `tofu validate` of every stage module whose providers can be built here: the
// module checked against the provider's own schema (every attribute, type, required field and
// block nesting), beyond what the bindings' types and checkov see. OpenTofu and the azurerm
// provider are built from the Go module proxy (tools/versions.json, once, cached) and installed
// from a filesystem mirror: the provider registries are not reachable. The AWS and Google providers
// are not on the proxy (only 2018/2019 versions): those stages are named as not validated, and are
// checked by the bindings' types, our rules and checkov (npm run infra:check).
// With a folder, validates that folder's modules (the tests plant problems in a copy).
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "./lib/run.ts";
import { readRendered } from "../lib/tree.ts";
import { INFRASTRUCTURE_DIR } from "../generators/infrastructure/module.ts";
import { azurermProvider, tofu } from "../toolchain/infrastructure.ts";
import { toolVersions } from "../lib/versions.ts";

/** Providers built here: registry source → the binary and the version it is installed as. */
const BUILDS: Readonly<Record<string, () => { binary: string; version: string }>> = {
  "hashicorp/azurerm": () => ({ binary: azurermProvider(), version: toolVersions().azurermProvider.version }),
};

interface Diagnostic {
  readonly severity: string;
  readonly summary: string;
  readonly detail?: string;
  readonly address?: string;
  readonly range?: { readonly start?: { readonly line: number } };
}

await main(async () => {
  const root = process.argv[2] ?? process.cwd();
  const files = await readRendered(root, [INFRASTRUCTURE_DIR]);
  if (files.size === 0) throw new Error(`no modules in ${join(root, INFRASTRUCTURE_DIR)}: run npm run render first`);
  const tmp = await mkdtemp(join(tmpdir(), "bitactor-tofu-"));
  try {
    const mirror = join(tmp, "mirror");
    const config = join(tmp, "tofu.rc");
    const installed = new Map<string, string>();
    let failed = 0;
    const skipped: string[] = [];
    let validated = 0;
    for (const [path, text] of files) {
      const module = JSON.parse(text) as { terraform?: { required_providers?: Record<string, { source: string; version: string }> } };
      // A source without a namespace ("azurerm", as the azurerm bindings write it) is hashicorp's (OpenTofu's implied provider source).
      const providers = Object.values(module.terraform?.required_providers ?? {}).map((p) => ({ ...p, source: p.source.includes("/") ? p.source : `hashicorp/${p.source}` }));
      const missing = providers.filter((p) => !BUILDS[p.source]);
      if (missing.length) {
        skipped.push(`${path} (${missing.map((p) => `${p.source} ${p.version}`).join(", ")}: not on the Go module proxy)`);
        continue;
      }
      for (const p of providers) {
        if (installed.has(p.source)) continue;
        const build = BUILDS[p.source]!();
        if (build.version !== p.version) throw new Error(`${path} pins ${p.source} ${p.version}; the provider built here is ${build.version} (tools/versions.json)`);
        // The unpacked layout of a filesystem mirror (opentofu.org/docs/cli/config/config-file, provider_installation).
        const name = p.source.split("/")[1]!;
        const dir = join(mirror, "registry.opentofu.org", p.source, p.version, "linux_amd64");
        await mkdir(dir, { recursive: true });
        await symlink(build.binary, join(dir, `terraform-provider-${name}_v${p.version}`));
        installed.set(p.source, p.version);
      }
      await writeFile(config, `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ${JSON.stringify([...installed.keys()].map((s) => `registry.opentofu.org/${s}`))}\n  }\n}\n`);
      const work = join(tmp, path);
      await mkdir(work, { recursive: true });
      await writeFile(join(work, "main.tf.json"), text);
      const env = { ...process.env, TF_CLI_CONFIG_FILE: config, TF_IN_AUTOMATION: "1", TF_DATA_DIR: join(work, ".terraform") };
      // -backend=false: validation needs the providers, not the state.
      const init = spawnSync(tofu(), ["init", "-backend=false", "-input=false", "-no-color"], { cwd: work, encoding: "utf8", env });
      if (init.status !== 0) throw new Error(`${path}: tofu init failed:\n${init.stdout}${init.stderr}`);
      const r = spawnSync(tofu(), ["validate", "-json", "-no-color"], { cwd: work, encoding: "utf8", env, maxBuffer: 1 << 26 });
      const result = JSON.parse(r.stdout || "{}") as { valid?: boolean; diagnostics?: Diagnostic[] };
      if (result.valid === undefined) throw new Error(`${path}: tofu validate gave no verdict:\n${r.stderr}`);
      for (const d of result.diagnostics ?? []) {
        console.log(`${d.severity.toUpperCase()} ${path}${d.range?.start ? `:${d.range.start.line}` : ""}: ${d.address ? `${d.address}: ` : ""}${d.summary}${d.detail ? `: ${d.detail.replace(/\s+/g, " ")}` : ""}`);
      }
      validated++;
      if (!result.valid) failed++;
    }
    for (const s of skipped) console.log(`not validated: ${s}`);
    const t = toolVersions();
    console.log(`tofu validate (OpenTofu ${t.opentofu.version}, ${[...installed].map(([s, v]) => `${s} ${v}`).join(", ") || "no provider"}): ${validated} module${validated === 1 ? "" : "s"} validated, ${failed} invalid; ${skipped.length} not validated here`);
    if (validated === 0) throw new Error("no module could be validated: no stage uses a provider built here");
    return failed ? 1 : 0;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
