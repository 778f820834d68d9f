import type { InputError } from "./errors.ts";
import type { YamlSource } from "./yaml-source.ts";
import type { Catalog, EnvironmentSettings, RegionSettings } from "./types.ts";
import { minimumSamples, postPromotionSeconds } from "../gate-math.ts";
import { STAGE_FOLDERS } from "../naming.ts";
import { OPERATOR_RELEASE } from "./pins.ts";
import { overlap, parseCpuset } from "../nodes/cpuset.ts";
import { ON_DEMAND_ONLY_ENVIRONMENT, usesKarpenter } from "../nodes/provisioners.ts";
import { maxGapMinutes } from "../backup/cron.ts";
import { MAX_BACKUP_GAP_MINUTES } from "../backup/providers.ts";
import { clusterNameIssue, infrastructureIssues } from "../infrastructure/clouds.ts";

/** Rules that span fields of the catalog, beyond what its schema can say. */
export function checkCatalog(catalog: Catalog, src: YamlSource): InputError[] {
  const errors: InputError[] = [];
  const pools = Object.keys(catalog.nodePools);
  const floor = minimumSamples(catalog.quantile);
  for (const [id, c] of Object.entries(catalog.components)) {
    const at = (...p: (string | number)[]) => ["components", id, ...p];
    if (!pools.includes(c.nodePool)) {
      errors.push(src.error(at("nodePool"), `unknown node pool "${c.nodePool}"; allowed: ${pools.join(", ")}`));
    }
    const b = c.metric.bucketsNs;
    for (let i = 1; i < b.length; i++) {
      if (b[i]! <= b[i - 1]!) errors.push(src.error(at("metric", "bucketsNs", i), `bucket bounds must be strictly increasing (${b[i]} follows ${b[i - 1]})`));
    }
    if (!b.includes(c.budgetNs)) {
      // The gate counts observations in the bucket le=budget; without that bound it would interpolate.
      errors.push(src.error(at("budgetNs"), `budget ${c.budgetNs} ns has no matching bucket; add ${c.budgetNs} to metric.bucketsNs (now ${b.join(", ")}) so "p99 ≤ budget" is exact`));
    }
    if (c.metricsPort.port === c.servicePort.port || c.metricsPort.name === c.servicePort.name) {
      errors.push(src.error(at("metricsPort"), `must differ from servicePort in both name and number`));
    }
    for (const phase of ["prePromotion", "postPromotion"] as const) {
      const min = c[phase].minSamplesPerMeasurement;
      if (min < floor) {
        errors.push(src.error(at(phase, "minSamplesPerMeasurement"), `must be ≥ ${floor}: with fewer observations the share under budget at quantile ${catalog.quantile} is noise (binomial standard error; see docs/gate.md, "Sample floors")`));
      }
    }
    (c.acceleratedNetworks ?? []).forEach((n, i) => {
      if (!catalog.acceleratedNetworks[n]) errors.push(src.error(at("acceleratedNetworks", i), `unknown accelerated network "${n}"; allowed: ${Object.keys(catalog.acceleratedNetworks).join(", ") || "(none defined)"}`));
    });
    if ((c.acceleratedNetworks ?? []).length > 0 && !c.security.addCapabilities.includes("IPC_LOCK")) {
      // DPDK locks its hugepage buffers in memory (mlock); without IPC_LOCK it fails at start.
      errors.push(src.error(at("security", "addCapabilities"), `a component with acceleratedNetworks polls its VF with DPDK and needs IPC_LOCK`));
    }
    const pre = c.prePromotion;
    if (pre.minSamplesPerMeasurement > pre.ratePerSecond * pre.intervalSeconds) {
      errors.push(src.error(at("prePromotion", "minSamplesPerMeasurement"), `${pre.minSamplesPerMeasurement} can never be reached: the load sends ${pre.ratePerSecond}/s × ${pre.intervalSeconds} s = ${pre.ratePerSecond * pre.intervalSeconds} per window`));
    }
  }
  for (const [folder, holds] of Object.entries(STAGE_FOLDERS)) {
    if (catalog.components[folder]) errors.push(src.error(["components"], `"${folder}" is reserved: rollouts/<env>/<region>/${folder}/ holds ${holds}`, folder));
  }
  if (catalog.components[OPERATOR_RELEASE]) {
    errors.push(src.error(["components"], `"${OPERATOR_RELEASE}" is reserved: the release train moves the BitActor operator by that name (npm run release -- ${OPERATOR_RELEASE})`, OPERATOR_RELEASE));
  }
  const t = catalog.nodeTuning;
  const unparsable = (["reservedSystemCpus", "isolatedCpus"] as const).filter((key) => {
    try {
      parseCpuset(t[key]);
      return false;
    } catch (e) {
      errors.push(src.error(["nodeTuning", key], (e as Error).message));
      return true;
    }
  });
  const both = unparsable.length === 0 ? overlap(t.reservedSystemCpus, t.isolatedCpus) : [];
  if (both.length > 0) {
    // The OS and kubelet run on the reserved CPUs; isolating them would starve the node's housekeeping.
    errors.push(src.error(["nodeTuning", "isolatedCpus"], `CPUs ${both.join(", ")} are also in reservedSystemCpus (${t.reservedSystemCpus}); the two sets must not overlap`));
  }
  catalog.flows.forEach((f, i) => {
    for (const end of ["from", "to"] as const) {
      if (!catalog.components[f[end]]) errors.push(src.error(["flows", i, end], `unknown component "${f[end]}"; allowed: ${Object.keys(catalog.components).join(", ")}`));
    }
    if (f.from === f.to) errors.push(src.error(["flows", i, "to"], `a component does not need a flow to itself`));
  });
  const exporter = catalog.businessMetrics.exporter;
  if (!catalog.components[exporter]) {
    errors.push(src.error(["businessMetrics", "exporter"], `unknown component "${exporter}"; allowed: ${Object.keys(catalog.components).join(", ")}`));
  }
  // Each label is written by a different relabelling or client; two uses of one name would mix them.
  const labels = ["podTemplateHashLabel", "namespaceLabel", "roleLabel", "venueLabel", "symbolLabel"] as const;
  labels.forEach((key, i) => {
    const clash = labels.slice(0, i).find((other) => catalog[other] === catalog[key]);
    if (clash) errors.push(src.error([key], `"${catalog[key]}" is already ${clash}; every label needs its own name`));
  });
  catalog.slo.burnRateAlerts.forEach((a, i) => {
    if (durationSeconds(a.shortWindow) >= durationSeconds(a.longWindow)) {
      errors.push(src.error(["slo", "burnRateAlerts", i, "shortWindow"], `${a.shortWindow} must be shorter than longWindow ${a.longWindow} (SRE Workbook: the short window is about 1/12 of the long one)`));
    }
    if (durationSeconds(a.longWindow) > catalog.slo.periodDays * 86400) {
      errors.push(src.error(["slo", "burnRateAlerts", i, "longWindow"], `${a.longWindow} is longer than the SLO period (${catalog.slo.periodDays}d)`));
    }
  });
  return errors;
}

/** Seconds in a Prometheus duration of the form the schema allows (`5m`, `1h`, `3d`). */
export function durationSeconds(d: string): number {
  const unit = { m: 60, h: 3600, d: 86400 }[d.slice(-1)];
  if (unit === undefined) throw new Error(`not a duration in m, h or d: ${d}`);
  return Number(d.slice(0, -1)) * unit;
}

/** Rules for one environment: ids match their files, regions are unique, pins name real components. */
export function checkEnvironment(
  folder: string,
  settings: { value: EnvironmentSettings; source: YamlSource },
  regions: readonly { value: RegionSettings; source: YamlSource; stem: string }[],
  /** Region files found, valid or not (invalid ones are reported on their own). */
  regionFiles: number,
  catalog: Catalog,
): InputError[] {
  const errors: InputError[] = [];
  const env = settings.value;
  if (env.environment !== folder) {
    errors.push(settings.source.error(["environment"], `"${env.environment}" must equal its folder name "${folder}" (one id for folder, app names and namespaces)`));
  }
  if (regionFiles === 0) {
    errors.push(settings.source.error([], `environment "${folder}" has no regions: add environments/${folder}/regions/<region>.yaml`));
  }
  if (env.environment === ON_DEMAND_ONLY_ENVIRONMENT && env.capacityTypes.includes("spot")) {
    errors.push(settings.source.error(["capacityTypes", env.capacityTypes.indexOf("spot")], `spot is not allowed in ${ON_DEMAND_ONLY_ENVIRONMENT}: a reclaim gives two minutes' notice and takes a replica away mid-session; allowed: [on-demand]`));
  }
  const gap = maxGapMinutes(env.backup.schedule);
  if (gap === undefined || gap > MAX_BACKUP_GAP_MINUTES) {
    errors.push(settings.source.error(["backup", "schedule"], `"${env.backup.schedule}" ${gap === undefined ? "does not run every hour of every day" : `leaves ${gap} minutes between backups`}; at most ${MAX_BACKUP_GAP_MINUTES} (e.g. "*/15 * * * *")`));
  }
  const components = Object.keys(catalog.components);
  const seen = new Map<string, string>();
  const deployed = new Set<string>();
  for (const { value: r, source, stem } of regions) {
    if (r.region !== stem) errors.push(source.error(["region"], `"${r.region}" must equal the file name "${stem}"`));
    const first = seen.get(r.region);
    if (first) errors.push(source.error(["region"], `duplicate region "${r.region}": already defined in ${first}`));
    else seen.set(r.region, source.file);
    for (const name of Object.keys(r.components)) {
      if (!components.includes(name)) errors.push(source.error(["components"], `unknown component "${name}"; allowed: ${components.join(", ")}`, name));
      else deployed.add(name);
      const hotfix = r.components[name]!.hotfix;
      // A hotfix lets one digest past the waves; left behind after the next release it would let an
      // unrelated digest through, so it must name the digest pinned next to it.
      if (hotfix && hotfix.digest !== r.components[name]!.digest) {
        errors.push(source.error(["components", name, "hotfix", "digest"], `stale hotfix: it names ${hotfix.digest.slice(0, 19)}… but ${name} pins ${r.components[name]!.digest.slice(0, 19)}…; remove the hotfix (npm run release and npm run promote remove it when they move the pin)`));
      }
    }
    const envOwner = new Map<string, string>();
    for (const [name, secret] of Object.entries(r.secrets ?? {})) {
      if (!r.components[secret.component]) {
        errors.push(source.error(["secrets", name, "component"], `"${secret.component}" is not deployed in this region; deployed: ${Object.keys(r.components).join(", ")}`));
      }
      for (const key of Object.keys(secret.encryptedData)) {
        // Each key becomes an environment variable of the component's container: one source per name.
        const owner = envOwner.get(`${secret.component}/${key}`);
        if (owner) errors.push(source.error(["secrets", name, "encryptedData"], `${secret.component} already gets ${key} from secret "${owner}"`, key));
        else envOwner.set(`${secret.component}/${key}`, name);
      }
    }
    const karpenter = usesKarpenter(r.cloud);
    if (karpenter && !r.karpenter) errors.push(source.error(["cloud"], `a ${r.cloud} region needs karpenter: { nodeRole, amiAlias } (its engine nodes are Karpenter NodePools)`));
    if (!karpenter && r.karpenter) errors.push(source.error([], `unused: ${r.cloud} regions run on the cluster's own node pools, not Karpenter; remove it`, "karpenter"));
    errors.push(...infrastructureIssues(r).map((i) => source.error(["infrastructure", ...i.path], i.message, i.atKey)));
    const nameIssue = clusterNameIssue(r);
    if (nameIssue) errors.push(source.error(["cluster", "name"], nameIssue));
    // Handed to an operator that does not run here, the exchanges would be closed for good.
    if (r.exchangeAccess === "operator" && !r.operator) {
      errors.push(source.error(["exchangeAccess"], `"operator" needs the operator running in this region, and none is pinned: without it no policy would ever open the exchanges; pin it first (npm run promote -- ${OPERATOR_RELEASE}) or use "components"`));
    }
    const exchangeIds = r.exchanges.map((x) => x.id);
    exchangeIds.forEach((x, i) => {
      if (exchangeIds.indexOf(x) !== i) errors.push(source.error(["exchanges", i, "id"], `duplicate exchange "${x}"`));
    });
    // Argo Rollouts signs requests with SigV4 only when the address contains "aps-workspaces"
    // (metricproviders/prometheus/prometheus.go): otherwise the credentials would be ignored.
    const amp = r.prometheus.address.includes("aps-workspaces");
    const sigv4 = r.prometheus.authentication?.sigv4 !== undefined;
    if (amp && !sigv4) errors.push(source.error(["prometheus", "address"], `an Amazon Managed Prometheus address needs prometheus.authentication.sigv4`));
    if (sigv4 && !amp) errors.push(source.error(["prometheus", "authentication"], `sigv4 is only used by Argo Rollouts for Amazon Managed Prometheus addresses (containing "aps-workspaces")`, "sigv4"));
  }
  // The old stack must outlive the post-promotion analysis, or a rollback has nothing to switch back to.
  for (const name of [...deployed].sort()) {
    const needed = postPromotionSeconds(catalog.components[name]!) + 60;
    if (env.scaleDownDelaySeconds < needed) {
      errors.push(settings.source.error(["scaleDownDelaySeconds"], `must be ≥ ${needed}: ${name}'s post-promotion analysis takes ${needed - 60} s and the old stack must still run to roll back (60 s margin)`));
    }
  }
  return errors;
}
