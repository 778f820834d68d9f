import type { Kit } from "./kit.ts";
import { projects, projectViolations, settled } from "./argo-state.ts";
import { bootstrapCommands, run } from "./bootstrap.ts";
import { git } from "./test-tree.ts";
import { seconds, until, type StepRow } from "./steps.ts";
import { readWithoutCredential } from "./git-server.ts";
import { ARGOCD_SECRET_TYPE } from "../../generators/constructs/repository-credential.ts";

/**
 * The bootstrap: the README's commands on empty clusters, then every Application of the test stages
 * Synced and Healthy (the one whose first version regresses: Degraded), every object on the cluster
 * its AppProject names; then every stage's first releases judged. Adds its two rows to `rows`.
 */
export async function bootstrapAndFirstReleases(kit: Kit, rows: StepRow[]): Promise<void> {
  const { ctx, platform, repo, shell, log, mgmt, ns, appsNow, appReport, stageReport, stageApps, stageAddonApps } = kit;
  // Bootstrap: the README's commands, then every Application of the test stages settles.
  {
    const row: StepRow = { step: "bootstrap: the README's commands on an empty cluster", expected: "every Application Synced and Healthy; every object where its AppProject allows", observed: "", problems: [], toSynced: null, toDecision: null };
    rows.push(row);
    const start = Date.now();
    const head = git(repo, "rev-parse", "HEAD");
    for (const command of bootstrapCommands(ctx.readme)) {
      const r = await run(shell, command);
      log(`$ ${command}  (exit ${r.status}, ${r.seconds.toFixed(1)} s)`);
      if (r.status !== 0) {
        row.problems.push(`\`${command}\` exited ${r.status}:\n${r.output}`);
        row.observed = "a README command failed";
        return;
      }
      if (/^argocd app list/.test(command)) log(r.output);
    }
    const envs = [...new Set(platform.stages.map((s) => s.environment))];
    // Argo CD's own Application, each environment's two, every stage's add-ons and its engine Applications.
    const addonApps = platform.stages.flatMap(stageAddonApps);
    const expected = ["argocd", ...ctx.managementApps, ...envs.flatMap((e) => [`${e}-root`, `${e}-applicationsets`]), ...addonApps, ...platform.stages.flatMap(stageApps)].sort();
    if (addonApps.length === 0) {
      row.problems.push("the test tree has no add-on Application: nothing of the platform would be proven");
      return;
    }
    const failedFirst = `${ctx.regressedFirst.stage.releases[0]!.namespace}-${ctx.regressedFirst.component}`;
    // What a sync said while Argo CD retried it: the retry's reason is gone once it succeeds.
    const retried = new Map<string, Set<string>>();
    try {
      await until("every Application Synced and Healthy (the regressed first version Degraded)", async () => {
        const apps = await appsNow();
        for (const a of apps) {
          const op = a.status?.operationState;
          if ((op?.retryCount ?? 0) > 0 || op?.phase === "Failed" || op?.phase === "Error") {
            const failing = (op?.syncResult?.resources ?? []).filter((r) => r.status !== undefined && r.status !== "Synced").map((r) => `${r.kind}/${r.name}: ${r.status} ${r.message ?? ""}`);
            const seen = retried.get(a.metadata.name) ?? new Set<string>();
            for (const m of [op?.message, ...failing]) if (m) seen.add(m.replace(/\s+/g, " ").slice(0, 400));
            retried.set(a.metadata.name, seen);
          }
        }
        // An add-on (and Argo CD itself) is Synced at its mirror's tag; everything else at the test repository's head.
        // A release the mirror does not hold has no revision: that Application never counts as settled.
        const revisionOf = (a: (typeof apps)[number]) => {
          const m = ctx.mirrors.find((x) => x.url === a.spec.source.repoURL);
          return m ? (m.releases[a.spec.source.targetRevision ?? ""] ?? "") : head;
        };
        const ok = expected.every((n) => apps.some((a) => a.metadata.name === n && (n === failedFirst
          ? a.status?.sync?.status === "Synced" && a.status.sync.revision === head && a.status.health?.status === "Degraded"
          : settled(a, revisionOf(a)))));
        return ok ? true : undefined;
      }, 900, async () => `${await appReport()}\n--- Rollouts and first-release analyses ---\n${await stageReport()}`);
      row.toSynced = seconds(start);
    } catch (e) {
      row.problems.push((e as Error).message);
      row.observed = "not every Application settled";
      return;
    }
    // Every object landed where its project admits it, and exists on that cluster.
    const apps = await appsNow();
    // In order the first time: a sync that only succeeded on a retry applied something before what it
    // needs (a custom resource before its CRD, an engine object before its add-on's controller).
    for (const a of apps.filter((x) => (x.status?.operationState?.retryCount ?? 0) > 0)) {
      row.problems.push(`${a.metadata.name} synced only after ${a.status!.operationState!.retryCount} retries: something was applied before what it needs; while retrying: ${[...(retried.get(a.metadata.name) ?? [])].join(" | ") || "(no message seen)"}`);
    }
    const projs = await projects(mgmt, ns);
    let objects = 0;
    for (const s of platform.stages) {
      for (const name of [...stageAddonApps(s), ...stageApps(s)]) {
        const a = apps.find((x) => x.metadata.name === name)!;
        const project = projs.find((p) => p.metadata.name === a.spec.project)!;
        const resources = [];
        for (const r of a.status?.resources ?? []) {
          const group = r.group ?? "";
          const info = await s.cluster.cp.client.resource(group ? `${group}/${r.version}` : r.version, r.kind);
          if (!info) {
            row.problems.push(`${name}: ${r.kind} ${r.name}: the API server of ${s.name} does not serve its kind`);
            continue;
          }
          const base = group ? `/apis/${group}/${r.version}` : `/api/${r.version}`;
          const path = `${base}${info.namespaced ? `/namespaces/${r.namespace}` : ""}/${info.plural}/${r.name}`;
          const got = await s.cluster.cp.client.request("GET", path);
          if (got.status !== 200) row.problems.push(`${name}: ${r.kind} ${r.namespace ?? ""}/${r.name} is not on ${s.name} (HTTP ${got.status})`);
          resources.push({ group, kind: r.kind, namespace: r.namespace, name: r.name, namespaced: info.namespaced });
          objects++;
        }
        row.problems.push(...projectViolations(a, project, resources));
      }
    }
    // The repository is private: a read without the credential is refused, and Argo CD read it with
    // the Secrets the management cluster's sealed-secrets controller unsealed from git.
    const anonymous = await readWithoutCredential(ctx.access.server.url);
    if (anonymous.ok) row.problems.push(`the test repository answered a read without credentials (${anonymous.output}): nothing proves Argo CD used the sealed one`);
    for (const name of ctx.access.credentials) {
      const got = await mgmt.request("GET", `/api/v1/namespaces/${ctx.access.namespace}/secrets/${name}`);
      const secret = got.body as { metadata?: { labels?: Record<string, string>; ownerReferences?: { kind: string; name: string }[] }; data?: Record<string, string> };
      if (got.status !== 200) row.problems.push(`Secret ${ctx.access.namespace}/${name}: HTTP ${got.status}; the sealed-secrets controller never unsealed the repository credential`);
      else if (secret.metadata?.labels?.[ARGOCD_SECRET_TYPE] !== "repository" || !secret.metadata.ownerReferences?.some((o) => o.kind === "SealedSecret" && o.name === name) || Buffer.from(secret.data?.url ?? "", "base64").toString() !== ctx.access.server.url) {
        row.problems.push(`Secret ${ctx.access.namespace}/${name} is not the repository Secret unsealed from SealedSecret ${name} for ${ctx.access.server.url}: ${JSON.stringify(secret.metadata)}`);
      }
    }
    const served = ctx.access.server.counts();
    if (served.served === 0) row.problems.push("the test repository served no request with its credential");
    row.toDecision = seconds(start);
    row.observed = `${expected.length} Applications Synced (Argo CD's own, ${ctx.managementApps.length} on the management cluster, ${addonApps.length} add-ons), all Healthy but ${failedFirst}; ${objects} objects on ${platform.stages.length} clusters, each where its AppProject allows; the repository read ${served.served}× with the credential unsealed from git (${ctx.access.credentials.join(", ")}), ${served.refused} reads without it refused`;
    log(row.observed);

    // Every first release judged: each component's first-release AnalysisRun, on every cluster.
    const first: StepRow = { step: "first releases: every component of every stage, one regressed", expected: `each first-release AnalysisRun Successful; ${failedFirst}'s Failed and its Application Degraded`, observed: "", problems: [], toSynced: row.toSynced, toDecision: null };
    rows.push(first);
    let successful = 0;
    let failedMessage = "";
    for (const s of platform.stages) {
      for (const r of s.releases) {
        const got = await s.cluster.cp.client.request("GET", `/apis/argoproj.io/v1alpha1/namespaces/${r.namespace}/analysisruns/${r.componentName}-first-release`);
        const st = (got.body as { status?: { phase?: string; message?: string } }).status;
        const isRegressed = s === ctx.regressedFirst.stage && r.componentName === ctx.regressedFirst.component;
        if (got.status !== 200) first.problems.push(`${r.namespace}/${r.componentName}-first-release: HTTP ${got.status}`);
        else if (isRegressed) {
          if (st?.phase !== "Failed" || !/^Metric "first-release-p\d+-le-\d+ns" assessed Failed/.test(st.message ?? "")) first.problems.push(`${r.namespace}/${r.componentName}-first-release: ${st?.phase} ${st?.message ?? ""}, expected Failed on the p99 share`);
          failedMessage = st?.message ?? "";
        } else if (st?.phase === "Successful") successful++;
        else first.problems.push(`${r.namespace}/${r.componentName}-first-release: ${st?.phase} ${st?.message ?? ""}, expected Successful`);
      }
    }
    const degraded = (await appsNow()).find((a) => a.metadata.name === failedFirst);
    first.toDecision = row.toSynced;
    // Where a stage runs the operator, its verdict after the first releases; Argo CD's health of the
    // stage's platform Application (Healthy above) is that verdict's (argocd-cm's check).
    const verdicts: string[] = [];
    for (const s of platform.stages) {
      const stage = `${s.environment}-${s.region}`;
      const got = await s.cluster.cp.client.request("GET", `/apis/bitactor.io/v1alpha1/bitactorclusters/${stage}`);
      const bac = got.body as { spec?: { operator?: { version: string } }; status?: { conditions?: { type: string; status: string; reason: string }[]; orderFlow?: { state: string } } };
      if (got.status !== 200) first.problems.push(`${stage}: its BitActorCluster: HTTP ${got.status}`);
      else if (bac.spec?.operator) {
        const trading = bac.status?.conditions?.find((c) => c.type === "TradingReady");
        verdicts.push(`${stage}: operator ${bac.spec.operator.version} says TradingReady ${trading?.status ?? "-"} (${trading?.reason ?? "no verdict"}), order flow ${bac.status?.orderFlow?.state ?? "-"}`);
        if (trading?.status !== "True" || bac.status?.orderFlow?.state !== "Open") first.problems.push(`${stage}: every first release passed, but its operator says TradingReady ${trading?.status ?? "(none)"} (${trading?.reason ?? "no verdict"}), order flow ${bac.status?.orderFlow?.state ?? "(none)"}`);
      }
    }
    first.observed = `${successful} Successful; ${failedFirst}: ${degraded?.status?.health?.status} (${failedMessage})${verdicts.length ? `; ${verdicts.join("; ")}` : ""}`;
  }
}
