// npm run validate: kubeconform, strict and offline, over the whole rendered tree.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { RENDERED_DIRS } from "../generators/render.ts";
import { runKubeconform } from "../harness/kubeconform.ts";
import { parseFiles } from "../lib/objects.ts";
import { main } from "./lib/run.ts";
import { toolVersions } from "../lib/versions.ts";
import { readRendered } from "../lib/tree.ts";

await main(async () => {
  const root = process.cwd();
  const dirs = RENDERED_DIRS.filter((d) => existsSync(join(root, d)));
  if (!dirs.length) throw new Error(`no rendered folders (${RENDERED_DIRS.join(", ")}) in ${root}: run npm run render first`);
  const report = runKubeconform(dirs, root);
  // kubeconform only reports what it found: a folder it skipped would otherwise pass silently.
  const expected = parseFiles(await readRendered(root)).length;
  const seen = report.valid + report.problems.length;
  if (seen !== expected) throw new Error(`kubeconform checked ${seen} objects but the rendered tree has ${expected}`);
  for (const p of report.problems) {
    console.log(`REJECTED ${p.file}: ${p.kind}/${p.name} (${p.status})\n${p.message.replace(/^/gm, "  ")}`);
  }
  const v = toolVersions();
  console.log(
    `kubeconform ${v.kubeconform.version} -strict, Kubernetes ${v.kubernetes.version} + ${v.crdSources.map((s) => `${s.module.replace(/^github\.com\//, "")} ${s.version}`).join(", ")}: ` +
      `${report.valid} objects accepted, ${report.problems.length} rejected`,
  );
  return report.problems.length ? 1 : 0;
});
