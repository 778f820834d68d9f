// npm run e2e:gitops: the GitOps loop with a real Argo CD. A management cluster runs Argo CD; three
// stages, one per cloud (staging/us-east-1 on AWS, production/southeastasia on Azure,
// production/asia-east2 on GCP; one release wave each, in this order) each have their own
// cluster with the Argo Rollouts controller, Prometheus and the latency fixture. The test
// repository is this one, rendered for the local Argo CD (harness/gitops/test-tree.ts). The README's
// bootstrap brings every Application up; then only git commits drive the steps of harness/gitops/loop.ts.
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { readInputs } from "../lib/inputs.ts";
import { loadRepository } from "../generators/inputs/load.ts";
import { main } from "./lib/run.ts";
import { runningProcesses } from "../harness/cluster/process.ts";
import { REPO } from "../lib/repo.ts";
import { kubectl, rolloutsPlugin } from "../toolchain/cluster.ts";
import { e2ePrograms } from "../harness/e2e/cluster.ts";
import { defaultBehaviour, healthy, regressed } from "../harness/e2e/scenarios.ts";
import { loadRelease, releaseImage, rolloutSpec, type Release } from "../harness/e2e/release.ts";
import { runSyncedOperators, type OperatorPods } from "../harness/gitops/operator-pods.ts";
import { imageText, operatorRuntime } from "../harness/operator/run.ts";
import { startGitopsPlatform, type StageSpec } from "../harness/gitops/platform.ts";
import { createTestRepository } from "../harness/gitops/test-tree.ts";
import { createMirrors, servable } from "../harness/gitops/mirrors.ts";
import { toolVersions } from "../lib/versions.ts";
import { runLoop } from "../harness/gitops/loop.ts";
import { startGitServer, type GitServer } from "../harness/gitops/git-server.ts";
import { createSealingKey, runSealedSecretsController, type ControllerPod } from "../harness/gitops/sealing.ts";
import { sealValue, sealedSecretsController } from "../toolchain/cluster.ts";
import { names } from "../generators/naming.ts";
import { runRecord, stepTable, withRecord } from "../harness/gitops/report.ts";

/** Released and promoted in (a); its first version regresses in asia-east2. */
const COMPONENT = "order-engine";
/** Released regressed in (b), reverted in (c), while (a) runs. */
const REGRESSED_COMPONENT = "risk-engine";
/** Receives the object no project admits in (e). */
const REFUSED_IN = "market-data-handler";
/** Released healthy into staging in (f) and promoted to the next wave. */
const WAVE_COMPONENT = "execution-gateway";
/** Released into staging in (g) with a build that degrades once it takes production traffic. */
const ROLLED_BACK_COMPONENT = "market-data-handler";
/** The stage removed in (d), whose first order-engine version regresses. */
const REGRESSED_FIRST = { environment: "production", region: "asia-east2" } as const;
/**
 * The add-on upgraded by commit in (u): the test tree starts it at `from`, the release before the
 * pinned one that the Go module proxy serves (v0.95.x answers 403 there), and the step moves it to the pin.
 */
const UPGRADE = { id: "prometheus-operator", from: "v0.94.0" } as const;
/** Committed in (v) at a release its source lacks, then put back: an add-on no gate step reads. */
const UNREADABLE = "kube-state-metrics";
/** The management cluster's add-on that unseals the repository credentials (engine/addons.yaml argocd.addons). */
const SEALED_SECRETS_ADDON = "sealed-secrets";
/** `npm run e2e:gitops -- --record`: write this run into docs/gitops.md ("A run") when every step passes. */
const RECORD = process.argv.slice(2).includes("--record");
/**
 * One stage per cloud, so each cloud's stage shape (its add-on set and node objects) is synced and
 * admitted by a real API server at least once: AWS (Karpenter's NodePools and EC2NodeClasses),
 * Azure and GCP (node tuning DaemonSets on the cloud's node pools, no Karpenter Application).
 */
const STAGES = [
  { environment: "staging", region: "us-east-1" },
  { environment: "production", region: "southeastasia" },
  { environment: "production", region: "asia-east2" },
] as const;
/** Takes the hotfixes (a) and (b), and is the wave after staging in (f). */
const PRODUCTION = STAGES[1];

await main(async () => {
  const started = Date.now();
  const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  const programs = e2ePrograms();
  const tools = { kubectl: kubectl(), plugin: rolloutsPlugin() };
  // The regressed release of each component: its image with a digest only the e2e uses (one per
  // component: one digest is one build, and the render holds each digest to one version).
  const regressedImage = (r: Release) => releaseImage(rolloutSpec(r.rollout).template.spec.containers[0]!.image, `regressed-release-${r.componentName}`);
  let waveDigest = "";
  const regressedOf = new Map<string, string>();
  const specs: StageSpec[] = [];
  for (const s of STAGES) {
    const r = await loadRelease(REPO, s.environment, s.region, COMPONENT);
    specs.push({
      ...s,
      components: Object.keys(r.region.components).sort(),
      // Every version healthy, except each component's regressed digest ((b) releases it in production
      // southeastasia; in staging the one (g) releases passes the preview and degrades once live), and the
      // first version of the order engine in asia-east2 (its first-release gate must fail).
      behaviour: (x) => {
        const b = x.component.budgetNs;
        const firstRegressed = s.region === REGRESSED_FIRST.region && s.environment === REGRESSED_FIRST.environment && x.componentName === COMPONENT;
        const degradesLive = s.environment === "staging" && x.componentName === ROLLED_BACK_COMPONENT;
        regressedOf.set(x.componentName, regressedImage(x));
        if (x.componentName === WAVE_COMPONENT) waveDigest = releaseImage(rolloutSpec(x.rollout).template.spec.containers[0]!.image, "wave-release").split("@")[1]!;
        return { ...defaultBehaviour(x.component), stable: firstRegressed ? regressed(b) : healthy(b), releaseImage: regressedImage(x), releasePreview: degradesLive ? healthy(b) : regressed(b), releaseActive: regressed(b) };
      },
      // Velero's namespace, where the platform Application puts the BackupStorageLocation and Schedule:
      // the Velero add-on (a Helm chart, served by no registry here) would create it.
      prerequisiteNamespaces: ["velero"],
    });
  }
  // The add-ons the harness serves offline bring their CRDs through Argo CD; it installs none of those.
  const served = servable(toolVersions()).served.map((a) => a.id);
  const platform = await startGitopsPlatform(REPO, programs, specs, served, log);
  let operators: OperatorPods | undefined;
  let gitServer: GitServer | undefined;
  let controller: ControllerPod | undefined;
  const model = loadRepository(await readInputs(REPO));
  const envs = [...new Set(STAGES.map((s) => s.environment))];
  // Where the credentials and their controller live, from the inputs: Argo CD's namespace, and the
  // add-on's namespace and the Deployment its chart names after `fullnameOverride`.
  const ARGOCD_NAMESPACE = model.environments.find((e) => e.settings.environment === model.addons.argocd.environment)!.settings.argocd.namespace;
  const sealedSpec = model.addons.addons[SEALED_SECRETS_ADDON];
  const deployment = (sealedSpec?.helm?.values as { fullnameOverride?: string } | undefined)?.fullnameOverride;
  if (!sealedSpec || !deployment || !model.addons.argocd.addons.includes(SEALED_SECRETS_ADDON)) throw new Error(`engine/addons.yaml: the management cluster's ${SEALED_SECRETS_ADDON} (argocd.addons, with helm.values.fullnameOverride naming its Deployment) is what unseals the repository credential`);
  const SEALED_SECRETS = { namespace: sealedSpec.namespace, deployment };
  try {
    // The operator's image, for the stages whose region file pins it (kwok's pods run no program).
    const image = await operatorRuntime(join(platform.dir, "operator-image"));
    log(`operator image ${imageText(image)}: run where Argo CD syncs a Deployment that pins it`);
    operators = runSyncedOperators(platform.stages, image, log);
    const repo = join(platform.dir, "repo");
    const mirrors = createMirrors(join(platform.dir, "mirrors"), toolVersions(), { [UPGRADE.id]: UPGRADE.from });
    const upgrade = { ...UPGRADE, to: mirrors.served.find((m) => m.id === UPGRADE.id)!.version };
    for (const m of mirrors.served) log(`add-on ${m.id} ${m.version}: served from ${m.url} (its Go module at that tag)`);
    for (const u of mirrors.unserved) log(`add-on ${u.id} ${u.version}: NOT served offline (${u.source}: ${u.why}); delivered nowhere in the test tree, checked statically by the render`);
    // The repository is private, as ours is: its host demands a credential, which the test tree
    // carries sealed for the management cluster's key (the README's bootstrap applies that key).
    gitServer = await startGitServer(repo);
    const key = createSealingKey(join(platform.dir, "sealing"), SEALED_SECRETS.namespace);
    const credential = (environment: string) => ({
      username: sealValue(key.certFile, ARGOCD_NAMESPACE, names.repositoryCredential(environment), gitServer!.username),
      password: sealValue(key.certFile, ARGOCD_NAMESPACE, names.repositoryCredential(environment), gitServer!.password),
    });
    const { url } = await createTestRepository(REPO, repo, { url: gitServer.url, credential }, platform.stages.map((s) => ({ environment: s.environment, region: s.region, prometheusUrl: s.cluster.prometheusUrl })), { ...mirrors, startAt: { [UPGRADE.id]: UPGRADE.from } });
    log(`test repository ${url}: the committed tree rendered with this URL, its read credential sealed for the management cluster, each stage's Prometheus, and only these stages; served only with that credential`);
    controller = runSealedSecretsController(platform.management, sealedSecretsController(), SEALED_SECRETS.namespace, SEALED_SECRETS.deployment, join(platform.dir, "sealing"), log);
    const shell = {
      cwd: repo,
      kubeconfig: platform.kubeconfig,
      argocdServer: platform.argocd.server,
      programs: { kubectl: tools.kubectl, "kubectl-argo-rollouts": tools.plugin, argocd: join(platform.argocd.binDir, "argocd") },
      home: join(platform.dir, "home"),
      env: { SEALING_KEY: key.secretFile },
    };
    const rows = await runLoop({
      platform,
      repo,
      readme: readFileSync(join(REPO, "README.md"), "utf8"),
      shell,
      component: COMPONENT,
      released: platform.stages.find((s) => s.environment === PRODUCTION.environment && s.region === PRODUCTION.region)!,
      removed: platform.stages.find((s) => s.region === "asia-east2")!,
      regressedImage: (c) => regressedOf.get(c)!,
      mirrors: mirrors.served,
      upgrade,
      unreadable: UNREADABLE,
      access: { server: gitServer, credentials: envs.map((e) => names.repositoryCredential(e)), namespace: ARGOCD_NAMESPACE },
      managementApps: model.addons.argocd.addons.filter((a) => served.includes(a)).map((a) => names.managementAddon(a)),
      regressedComponent: REGRESSED_COMPONENT,
      refusedIn: REFUSED_IN,
      regressedFirst: { stage: platform.stages.find((s) => s.region === REGRESSED_FIRST.region)!, component: COMPONENT },
      waves: {
        staging: platform.stages.find((s) => s.environment === "staging")!,
        next: platform.stages.find((s) => s.environment === PRODUCTION.environment && s.region === PRODUCTION.region)!,
        promoted: { component: WAVE_COMPONENT, digest: waveDigest },
        rolledBack: { component: ROLLED_BACK_COMPONENT, digest: regressedOf.get(ROLLED_BACK_COMPONENT)!.split("@")[1]! },
      },
      log,
    });
    console.log(`\n${stepTable(rows)}\n`);
    for (const r of rows.filter((x) => x.problems.length)) console.log(`${r.step}:\n  ${r.problems.join("\n  ")}\n`);
    const bad = rows.filter((r) => r.problems.length).length;
    const total = Math.round((Date.now() - started) / 1000);
    console.log(`e2e:gitops: ${rows.length - bad} steps as expected, ${bad} not (${total} s)`);
    // --record: docs/gitops.md's run is this one's (only when every step passed).
    if (RECORD && !bad) {
      const doc = join(REPO, "docs", "gitops.md");
      // The seed's recovery time objective: production's restore drill target.
      const rto = model.environments.find((e) => e.settings.environment === "production")?.settings.backup.drill?.rtoSeconds;
      if (rto === undefined) throw new Error("not recorded: production's environment.yaml has no backup.drill.rtoSeconds to judge the rebuild by");
      writeFileSync(doc, withRecord(readFileSync(doc, "utf8"), runRecord(rows, { date: new Date().toISOString().slice(0, 10), cores: cpus().length, seconds: total, rtoSeconds: rto, served: mirrors.served.map((m) => `${m.id} ${m.version}`), unserved: mirrors.unserved.map((u) => `${u.id} ${u.version}`) })));
      console.log("docs/gitops.md: the run recorded");
    }
    return bad ? 1 : 0;
  } finally {
    await operators?.stop();
    await controller?.stop();
    await gitServer?.stop();
    await platform.stop();
    const leftover = runningProcesses();
    if (leftover.length) {
      console.log(`still running after the run: ${leftover.join(", ")}`);
      process.exitCode = 1;
    }
  }
});
