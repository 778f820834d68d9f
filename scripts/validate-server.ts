// npm run validate:server: a real kube-apiserver on loopback, the CRDs of the controllers we target,
// then a strict server-side dry-run of every rendered object. Leaves no process or file behind.
import { startControlPlane } from "../harness/cluster/control-plane.ts";
import { describe, dryRunAll, installCrds } from "../harness/cluster/dry-run.ts";
import { parseFiles } from "../lib/objects.ts";
import { targetCrds } from "../toolchain/sources.ts";
import { main } from "./lib/run.ts";
import { readRendered } from "../lib/tree.ts";
import { toolVersions } from "../lib/versions.ts";

await main(async () => {
  const objects = parseFiles(await readRendered(process.cwd()));
  if (!objects.length) throw new Error(`nothing rendered in ${process.cwd()}: run npm run render first`);
  const crds = targetCrds();
  const t0 = Date.now();
  const cp = await startControlPlane();
  try {
    const up = Date.now();
    await installCrds(cp.client, crds);
    const installed = Date.now();
    const verdicts = await dryRunAll(cp.client, objects);
    const done = Date.now();
    for (const v of verdicts) {
      if (!v.accepted) console.log(`REJECTED ${v.file}: ${describe(v.object)}\n  ${v.message}`);
      for (const w of v.warnings) console.log(`WARNING  ${v.file}: ${describe(v.object)}: ${w}`);
    }
    const rejected = verdicts.filter((v) => !v.accepted).length;
    const v = toolVersions();
    console.log(
      `kube-apiserver ${v.kubernetes.version}, etcd ${v.etcd.version} (server-side dry-run, strict field validation), ${crds.length} CRDs: ` +
        `${verdicts.length - rejected} objects accepted, ${rejected} rejected ` +
        `(start ${((up - t0) / 1000).toFixed(1)} s, CRDs ${((installed - up) / 1000).toFixed(1)} s, dry-run ${((done - installed) / 1000).toFixed(1)} s)`,
    );
    return rejected ? 1 : 0;
  } finally {
    await cp.stop();
  }
});
