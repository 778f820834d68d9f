// The platform from git: what the add-on Applications and Argo CD's own Application must say, over
// every stage of the committed inputs and over generated add-on catalogs, and what moving a release does.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { committedModel } from "./helpers/repo.ts";
import { renderObjects, renderRepository } from "../generators/render.ts";
import { addonApplies } from "../generators/inputs/addon-semantics.ts";
import { pushgatewayNamespace } from "../generators/naming.ts";
import { validateObject } from "../generators/validate/models.ts";
import type { AddonSpec } from "../generators/inputs/addons.ts";
import type { RepositoryModel } from "../generators/inputs/types.ts";

type Any = Record<string, any>; // rendered objects are untyped JSON here

const model = await committedModel();
const objects = renderObjects(model);
const apps = objects.filter((o) => o.object.kind === "Application").map((o) => ({ path: o.path, app: o.object as Any }));
const addonApps = apps.filter((a) => a.app.metadata.labels?.["bitactor.io/addon"] !== undefined);
const pinOf = (m: RepositoryModel, id: string) => m.addonVersions[id] as Exclude<RepositoryModel["addonVersions"][string], string>;

test("every stage gets exactly the add-ons whose `when` admits it, one Application each, in its add-on project", () => {
  for (const env of model.environments) {
    for (const r of env.regions) {
      const stage = `${env.settings.environment}-${r.region}`;
      const want = Object.entries(model.addons.addons).filter(([, spec]) => addonApplies(spec, env.settings.environment, r, model.catalog)).map(([id]) => id).sort();
      const got = addonApps.filter((a) => a.app.metadata.labels["bitactor.io/environment"] === env.settings.environment && a.app.metadata.labels["bitactor.io/region"] === r.region);
      assert.deepEqual(got.map((a) => a.app.metadata.labels["bitactor.io/addon"]).sort(), want, stage);
      // Karpenter only where the cloud is AWS (engine/addons.yaml when.clouds), every other add-on everywhere.
      assert.equal(want.includes("karpenter"), r.cloud === "aws", stage);
      for (const { path, app } of got) {
        const id = app.metadata.labels["bitactor.io/addon"];
        assert.equal(path, `applicationsets/${env.settings.environment}/application-${stage}-${id}.yaml`);
        assert.equal(app.metadata.name, `${stage}-${id}`);
        assert.equal(app.spec.project, `${stage}-addons`);
        assert.deepEqual(app.spec.destination, { name: r.cluster.name, namespace: model.addons.addons[id]!.namespace });
      }
    }
  }
});

test("each add-on Application points at its upstream's own source at the exact release of tools/versions.json", () => {
  assert.ok(addonApps.length > 0);
  for (const { app } of addonApps) {
    const id = app.metadata.labels["bitactor.io/addon"];
    const spec = model.addons.addons[id]!;
    const pin = pinOf(model, id);
    assert.equal(app.spec.source.repoURL, pin.source.repoURL, id);
    assert.equal(app.spec.source.targetRevision, pin.version, id);
    assert.match(pin.version, /^v?\d+\.\d+\.\d+$/, id);
    // A chart in an OCI registry is the artifact's root; a git source names the kustomization or chart inside it.
    assert.equal(app.spec.source.path, pin.source.type === "git" ? spec.path : pin.source.type === "oci" ? "." : undefined, id);
    if (pin.source.type === "helm") assert.equal(app.spec.source.chart, pin.source.chart);
    // Every image a kustomization names is pinned to the release, never `latest`.
    for (const image of app.spec.source.kustomize?.images ?? []) assert.match(image, new RegExp(`:${pin.version.replace(/\./g, "\\.")}$`), id);
    assert.doesNotMatch(JSON.stringify(app.spec.source), /\$\{|:latest\b/, id);
  }
  // Our values filled per stage: Karpenter is told its cluster and interruption queue.
  const karpenter = addonApps.find((a) => a.app.metadata.name === "production-us-east-1-karpenter")!.app;
  assert.deepEqual(karpenter.spec.source.helm, { releaseName: "karpenter", valuesObject: { settings: { clusterName: "bitactor-prod-use1", interruptionQueue: "bitactor-prod-use1" } } });
  const sealed = addonApps.find((a) => a.app.metadata.name === "production-us-east-1-sealed-secrets")!.app;
  assert.equal(sealed.spec.source.helm.valuesObject.image.tag, pinOf(model, "sealed-secrets").version.replace(/^v/, ""));
});

test("every image an add-on's values name is an exact release, and its tag follows the version file", () => {
  const exact = /^v?\d+\.\d+\.\d+(-[a-z]+)?$/;
  for (const { app } of addonApps) {
    const id = app.metadata.labels["bitactor.io/addon"];
    const pin = pinOf(model, id);
    const images: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) return v.forEach(walk);
      if (!v || typeof v !== "object") return;
      const o = v as Record<string, unknown>;
      // A chart's image block (repository + tag) or a container's image reference.
      if (typeof o.repository === "string" && /\//.test(o.repository)) {
        assert.match(String(o.tag), exact, `${app.metadata.name}: ${o.repository} at tag ${String(o.tag)}`);
        images.push(`${o.repository}:${String(o.tag)}`);
      }
      if (typeof o.hub === "string") assert.equal(o.tag, pin.version, `${app.metadata.name}: ${o.hub} at ${String(o.tag)}`);
      if (typeof o.image === "string") {
        assert.match(o.image, /^[a-z0-9./-]+:v?\d+\.\d+\.\d+$/, `${app.metadata.name}: ${o.image}`);
        images.push(o.image);
      }
      Object.values(o).forEach(walk);
    };
    walk(app.spec.source.helm?.valuesObject);
    // The program's own image is tagged with the release the version file pins for it (with or without its v).
    const program = (pin.appVersion ?? pin.version).replace(/^v/, "");
    if (images.length > 0) assert.ok(images.some((i) => new RegExp(`:v?${program.replace(/\./g, "\\.")}(-distroless)?$`).test(i)), `${app.metadata.name}: no image at ${program} in ${images.join(", ")}`);
  }
});

test("each cloud's stages run Velero with that cloud's plugin and identity, and the CRDs the checks use are that Velero's", async () => {
  const { toolVersions } = await import("../lib/versions.ts");
  const velero = pinOf(model, "velero");
  const crds = toolVersions().crdSources.find((c) => c.module === "github.com/vmware-tanzu/velero")!;
  assert.equal(crds.version, velero.appVersion);
  const seen = new Set<string>();
  const tree = renderRepository(model);
  for (const env of model.environments) {
    for (const r of env.regions) {
      const app = addonApps.find((a) => a.app.metadata.name === `${env.settings.environment}-${r.region}-velero`)!.app;
      const v = app.spec.source.helm.valuesObject;
      assert.equal(app.spec.destination.namespace, env.settings.backup.namespace);
      assert.equal(v.image.tag, velero.appVersion);
      assert.equal(v.serviceAccount.server.name, "velero");
      assert.deepEqual(v.configuration, { backupStorageLocation: [], volumeSnapshotLocation: [] });
      assert.equal(v.credentials.useSecret, false);
      assert.equal(v.upgradeCRDs, false);
      const plugin = { aws: "velero/velero-plugin-for-aws", gcp: "velero/velero-plugin-for-gcp", azure: "velero/velero-plugin-for-microsoft-azure" }[r.cloud];
      assert.deepEqual(v.initContainers.map((c: Any) => c.image.split(":")[0]), [plugin], app.metadata.name);
      const annotations = v.serviceAccount.server.annotations ?? {};
      if (r.cloud === "gcp") {
        assert.deepEqual(annotations, { "iam.gke.io/gcp-service-account": `${r.cluster.name}-velero@${r.infrastructure.account}.iam.gserviceaccount.com` });
        // The account the stage's module creates is the one the annotation names, whole (GCP ids: at most 30 characters).
        const module = JSON.parse(tree.get(`infrastructure/${env.settings.environment}/${r.region}/main.tf.json`)!) as Any;
        assert.equal(`${module.resource.google_service_account.velero.account_id}@${r.infrastructure.account}.iam.gserviceaccount.com`, annotations["iam.gke.io/gcp-service-account"]);
        assert.ok(module.resource.google_service_account.velero.account_id.length <= 30);
      }
      else if (r.cloud === "azure") {
        assert.deepEqual(annotations, { "azure.workload.identity/client-id": r.backup.identity });
        assert.deepEqual(v.podLabels, { "azure.workload.identity/use": "true" });
      } else assert.deepEqual(annotations, {});
      seen.add(r.cloud);
    }
  }
  assert.deepEqual([...seen].sort(), ["aws", "azure", "gcp"]);
});

test("Istio arrives in its own order, and the webhook fields istiod rewrites are left to it", () => {
  const stage = "production-eu-west-1";
  const app = (id: string) => addonApps.find((a) => a.app.metadata.name === `${stage}-${id}`)!.app;
  const base = app("istio-base");
  const istiod = app("istiod");
  assert.ok(Number(base.metadata.annotations["argocd.argoproj.io/sync-wave"]) < Number(istiod.metadata.annotations["argocd.argoproj.io/sync-wave"]));
  assert.equal(base.spec.source.targetRevision, istiod.spec.source.targetRevision);
  for (const a of [base, istiod]) {
    assert.equal(a.spec.destination.namespace, "istio-system");
    assert.equal(a.spec.source.helm.valuesObject.base.validationFailurePolicy, "Fail");
    assert.ok(a.spec.syncPolicy.syncOptions.includes("RespectIgnoreDifferences=true"), a.metadata.name);
    assert.deepEqual(a.spec.ignoreDifferences.find((d: Any) => d.kind === "ValidatingWebhookConfiguration").jqPathExpressions, [".webhooks[]?.clientConfig.caBundle", ".webhooks[]?.failurePolicy"]);
  }
  assert.deepEqual(istiod.spec.source.helm.valuesObject.global, { hub: "docker.io/istio", tag: pinOf(model, "istiod").version });
  // The CRDs every check validates PeerAuthentication against are that Istio's.
  assert.equal(base.spec.syncPolicy.automated.prune, false);
});

test("an add-on for SR-IOV networks goes only where a component the region runs takes a VF", () => {
  const spec: AddonSpec = { ...model.addons.addons["kube-state-metrics"]!, when: { acceleratedNetworks: true } };
  const env = model.environments[0]!;
  const r = env.regions[0]!;
  const vf = Object.keys(r.components).filter((c) => (model.catalog.components[c]!.acceleratedNetworks ?? []).length > 0);
  assert.ok(vf.length > 0, "the fixture region runs a component that takes a VF");
  assert.equal(addonApplies(spec, env.settings.environment, r, model.catalog), true);
  const without = { ...r, components: Object.fromEntries(Object.entries(r.components).filter(([c]) => !vf.includes(c))) };
  assert.equal(addonApplies(spec, env.settings.environment, without, model.catalog), false);
  // Without the condition it goes there all the same.
  assert.equal(addonApplies(model.addons.addons["kube-state-metrics"]!, env.settings.environment, without, model.catalog), true);
});

test("a mistaken delete cannot take the platform with it: no cascading finalizer, CRD owners never prune, server-side apply", () => {
  const self = apps.find((a) => a.app.metadata.name === "argocd")!.app;
  for (const { app } of [...addonApps, { app: self }]) {
    const name = app.metadata.name;
    assert.equal(app.metadata.finalizers, undefined, name);
    const crds = name === "argocd" || model.addons.addons[app.metadata.labels["bitactor.io/addon"]]!.crds;
    if (crds) {
      assert.equal(app.spec.syncPolicy.automated.prune, false, name);
      assert.ok(app.spec.syncPolicy.syncOptions.includes("ServerSideApply=true"), name);
    }
  }
  // The add-ons come before the stage's engine: wave 0 < the ApplicationSet's wave.
  for (const { app } of addonApps) assert.ok(Number(app.metadata.annotations["argocd.argoproj.io/sync-wave"]) < 10, app.metadata.name);
  const sets = objects.filter((o) => o.object.kind === "ApplicationSet");
  for (const s of sets) assert.equal((s.object.metadata as Any).annotations["argocd.argoproj.io/sync-wave"], "10");
});

test("Argo CD manages itself: the pinned release, HA where the data says, our settings patched over it", () => {
  const self = apps.find((a) => a.app.metadata.name === "argocd")!;
  const pin = pinOf(model, "argo-cd");
  assert.equal(self.path, `apps/${model.addons.argocd.environment}/application-argocd.yaml`);
  assert.equal(self.app.spec.source.repoURL, pin.source.repoURL);
  assert.equal(self.app.spec.source.targetRevision, pin.version);
  assert.equal(self.app.spec.source.path, model.addons.argocd.highAvailability ? model.addons.argocd.haPath : model.addons.argocd.path);
  assert.deepEqual(self.app.spec.destination, { server: "https://kubernetes.default.svc", namespace: "argocd" });
  const patches = self.app.spec.source.kustomize.patches as { patch: string; target: { kind: string; name: string } }[];
  assert.deepEqual(patches.map((p) => p.target), [{ kind: "ConfigMap", name: "argocd-cm" }, { kind: "ConfigMap", name: "argocd-rbac-cm" }]);
  // The Application health check the waves across Applications need, and RBAC: read-only by default.
  assert.match(patches[0]!.patch, /resource\.customizations\.health\.argoproj\.io_Application: \|\n\s+hs = \{\}/);
  assert.match(patches[1]!.patch, /policy\.default: role:readonly/);
  // Exactly one, whatever the number of environments: one management cluster.
  assert.equal(apps.filter((a) => a.app.metadata.name === "argocd").length, 1);
});

test("Argo CD's own cluster runs its add-ons from the stages' entries at the same release, in their own project, never cascading or pruning CRDs", () => {
  const ids = model.addons.argocd.addons;
  assert.deepEqual(ids, ["sealed-secrets"]);
  const dir = `apps/${model.addons.argocd.environment}`;
  for (const id of ids) {
    const mgmt = apps.find((a) => a.app.metadata.name === `management-${id}`)!;
    assert.equal(mgmt.path, `${dir}/application-management-${id}.yaml`);
    // The same source, path, release and values as every stage's Application of the add-on.
    const staged = addonApps.filter((a) => a.app.metadata.labels["bitactor.io/addon"] === id);
    assert.ok(staged.length > 0);
    for (const s of staged) assert.deepEqual(mgmt.app.spec.source, s.app.spec.source, s.path);
    assert.equal(mgmt.app.spec.source.targetRevision, pinOf(model, id).version);
    assert.deepEqual(mgmt.app.spec.destination, { server: "https://kubernetes.default.svc", namespace: model.addons.addons[id]!.namespace });
    assert.equal(mgmt.app.spec.project, "management-addons");
    assert.equal(mgmt.app.metadata.finalizers, undefined);
    assert.deepEqual(mgmt.app.spec.syncPolicy.automated, { prune: false, selfHeal: true });
  }
  const project = objects.find((o) => o.path === `${dir}/appproject-management-addons.yaml`)!.object as Any;
  assert.deepEqual(project.spec.sourceRepos, ids.map((id) => pinOf(model, id).source.repoURL));
  assert.deepEqual(project.spec.destinations, [{ server: "https://kubernetes.default.svc", namespace: "kube-system" }]);
  // Moving the add-on's release moves the management cluster's too: one version for both.
  const pin = pinOf(model, "sealed-secrets");
  const moved = renderObjects({ ...model, addonVersions: { ...model.addonVersions, "sealed-secrets": { ...pin, version: "v0.40.1" } } });
  assert.equal((moved.find((o) => o.path === `${dir}/application-management-sealed-secrets.yaml`)!.object as Any).spec.source.targetRevision, "v0.40.1");
  // None listed: no management add-on objects at all.
  const none = renderObjects({ ...model, addons: { ...model.addons, argocd: { ...model.addons.argocd, addons: [] } } });
  assert.deepEqual(none.filter((o) => /management/.test(o.path)).map((o) => o.path), []);
});

test("Argo CD's exclusions: the patch sets exactly our typed list, which keeps every default of the pinned release's own argocd-cm (the key replaces them whole)", async () => {
  const { readFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { parse } = await import("yaml");
  const { moduleDir } = await import("../toolchain/build.ts");
  const { excludes } = await import("../generators/excluded-kinds.ts");
  const self = apps.find((a) => a.app.metadata.name === "argocd")!.app;
  const cm = parse(self.spec.source.kustomize.patches[0].patch) as { data: Record<string, string> };
  const ours = parse(cm.data["resource.exclusions"]!) as { apiGroups: string[]; kinds: string[] }[];
  assert.deepEqual(ours, model.addons.argocd.resourceExclusions);
  // Every entry names groups and kinds: Argo CD reads an empty list as "every" (util/settings/filtered_resource.go).
  for (const e of ours) assert.ok(e.apiGroups.length > 0 && e.kinds.length > 0, JSON.stringify(e));
  // The release's argocd-cm, as its Go module holds the tag (the kustomization Argo CD's own Application syncs).
  const pin = pinOf(model, "argo-cd");
  const upstream = parse(readFileSync(join(moduleDir(pin.module!, pin.version), "manifests", "base", "config", "argocd-cm.yaml"), "utf8")) as { data: Record<string, string> };
  const defaults = parse(upstream.data["resource.exclusions"]!) as { apiGroups?: string[]; kinds?: string[]; clusters?: string[] }[];
  assert.ok(defaults.length > 0, "the pinned release ships default exclusions");
  const missing: string[] = [];
  for (const d of defaults) {
    assert.ok(d.apiGroups?.length && d.kinds?.length && !d.clusters, `an upstream default this check cannot compare (every group, kind or a cluster filter): ${JSON.stringify(d)}`);
    for (const g of d.apiGroups) for (const k of d.kinds) if (!ours.some((e) => excludes(e, g, k))) missing.push(`${g || "core"}/${k}`);
  }
  assert.deepEqual(missing, [], `engine/addons.yaml argocd.resourceExclusions lacks defaults of Argo CD ${pin.version}: add them`);
  // Our additions are Velero's runtime objects, and none of the Velero kinds we render.
  assert.ok(excludes(ours.at(-1)!, "velero.io", "Backup"));
  for (const kind of ["Schedule", "BackupStorageLocation"]) assert.equal(ours.some((e) => excludes(e, "velero.io", kind)), false, kind);
});

test("over generated add-on catalogs: each add-on goes exactly where its `when` says, and every object validates", () => {
  const clouds = ["aws", "gcp", "azure"] as const;
  const envs = model.environments.map((e) => e.settings.environment);
  const when = fc.record({ clouds: fc.option(fc.subarray([...clouds], { minLength: 1 }), { nil: undefined }), environments: fc.option(fc.subarray(envs, { minLength: 1 }), { nil: undefined }) });
  fc.assert(
    fc.property(when, fc.boolean(), (w, enabled) => {
      const spec: AddonSpec = { ...model.addons.addons["argo-rollouts"]!, when: { ...(w.clouds ? { clouds: w.clouds } : {}), ...(w.environments ? { environments: w.environments } : {}) }, enabled };
      const m: RepositoryModel = { ...model, addons: { ...model.addons, addons: { ...model.addons.addons, "argo-rollouts": spec } } };
      const got = renderObjects(m).filter((o) => (o.object.metadata.labels as Record<string, string> | undefined)?.["bitactor.io/addon"] === "argo-rollouts");
      const want = model.environments.flatMap((e) => e.regions.filter((r) => enabled && (w.clouds ?? clouds).includes(r.cloud) && (w.environments ?? envs).includes(e.settings.environment)).map((r) => `${e.settings.environment}-${r.region}-argo-rollouts`));
      assert.deepEqual(got.map((o) => o.object.metadata.name).sort(), want.sort());
      for (const o of got) assert.deepEqual(validateObject(o.object), [], o.path);
    }),
    { numRuns: 12 },
  );
});

test("moving an add-on's release is one edit: every Application of it, and nothing else, changes", () => {
  const pin = pinOf(model, "argo-rollouts");
  const moved: RepositoryModel = { ...model, addonVersions: { ...model.addonVersions, "argo-rollouts": { ...pin, version: "v1.10.3" } } };
  const after = new Map(renderObjects(moved).map((o) => [o.path, JSON.stringify(o.object)]));
  const changed = objects.filter((o) => after.get(o.path) !== JSON.stringify(o.object));
  assert.deepEqual(changed.map((o) => o.path).sort(), addonApps.filter((a) => a.app.metadata.labels["bitactor.io/addon"] === "argo-rollouts").map((a) => a.path).sort());
  for (const o of changed) {
    const app = JSON.parse(after.get(o.path)!) as Any;
    assert.equal(app.spec.source.targetRevision, "v1.10.3");
    assert.deepEqual(app.spec.source.kustomize.images, ["quay.io/argoproj/argo-rollouts:v1.10.3"]);
  }
  assert.equal(after.size, objects.length);
});

test("npm run check refuses an add-on release that was never published, at its line in tools/versions.json", async () => {
  const { readFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { ROOT } = await import("./helpers/repo.ts");
  const { addonReleaseReport } = await import("../checks/addon-releases.ts");
  const { moduleMissing } = await import("../toolchain/build.ts");
  const text = readFileSync(join(ROOT, "tools", "versions.json"), "utf8");
  // The committed releases are all published; the charts in chart registries cannot be looked up here and say so.
  const ok = addonReleaseReport(text, moduleMissing);
  assert.deepEqual(ok.problems, []);
  const pins = Object.entries(JSON.parse(text).addons as Record<string, { version: string; source: { type: string; repoURL: string } } | string>).filter((e): e is [string, { version: string; source: { type: string; repoURL: string } }] => typeof e[1] !== "string");
  const charts = pins.filter(([, p]) => p.source.type !== "git");
  assert.equal(ok.published, pins.length - charts.length);
  assert.ok(ok.published >= 5);
  assert.deepEqual(ok.notLookedUp, charts.map(([id, p]) => `${id} ${p.version} (${p.source.repoURL}: a chart registry, not reachable here)`));
  assert.ok(ok.notLookedUp.includes("karpenter 1.15.1 (oci://public.ecr.aws/karpenter/karpenter: a chart registry, not reachable here)"));
  // A tag that does not exist, asked of the real Go module proxy.
  const bad = text.replace('"version": "v1.10.2"', '"version": "v1.10.99"');
  const r = addonReleaseReport(bad, moduleMissing);
  const line = bad.slice(0, bad.indexOf('"version": "v1.10.99"')).split("\n").length;
  assert.equal(r.problems.length, 1);
  assert.match(r.problems[0]!, new RegExp(`^tools/versions\\.json:${line}:\\d+: /addons/argo-rollouts/version: v1\\.10\\.99 is not a published release of https://github\\.com/argoproj/argo-rollouts\\.git: the Go module proxy has no github\\.com/argoproj/argo-rollouts@v1\\.10\\.99 \\(.+\\)$`));
  // Chart versions without a v are looked up as the module's v-tag.
  const asked: string[] = [];
  addonReleaseReport(text.replace('"version": "v0.94.1"', '"version": "0.94.1"'), (m, v) => (asked.push(`${m}@${v}`), undefined));
  assert.ok(asked.includes("github.com/prometheus-operator/prometheus-operator@v0.94.1"));
});

test("each stage's Prometheus scrapes the Pushgateway its restore drill pushes to, keeping the pushed labels; a stage the add-on's `when` leaves out scrapes nothing", () => {
  for (const env of model.environments) {
    for (const r of env.regions) {
      const stage = `${env.settings.environment}-${r.region}`;
      const folder = `rollouts/${env.settings.environment}/${r.region}/monitoring/`;
      const drill = env.settings.backup.drill!;
      // The namespace the drill pushes to (its <service>.<namespace>.svc address) is where the monitor looks.
      const pushNamespace = pushgatewayNamespace(new URL(drill.pushgateway));
      const monitor = objects.find((o) => o.path === `${folder}podmonitor-addon-pushgateway.yaml`)?.object as Any;
      assert.ok(monitor, stage);
      assert.equal(monitor.metadata.namespace, stage);
      assert.equal(monitor.metadata.labels["app.kubernetes.io/part-of"], "bitactor");
      assert.deepEqual(monitor.spec, {
        namespaceSelector: { matchNames: [pushNamespace] },
        selector: { matchLabels: { "app.kubernetes.io/name": "prometheus-pushgateway", "app.kubernetes.io/instance": "prometheus-pushgateway" } },
        podMetricsEndpoints: [{ port: "metrics", path: "/metrics", honorLabels: true }],
      });
      // The monitor's namespace is one the stage Prometheus selects PodMonitors from.
      const prometheus = objects.find((o) => o.path.startsWith(folder) && o.object.kind === "Prometheus")!.object as Any;
      assert.ok(prometheus.spec.podMonitorNamespaceSelector.matchExpressions[0].values.includes(stage), stage);
      // Its account may discover the Pushgateway's pods there, and nothing more.
      const role = objects.find((o) => o.path === `${folder}role-${stage}-prometheus-${pushNamespace}.yaml`)!.object as Any;
      assert.equal(role.metadata.namespace, pushNamespace);
      assert.deepEqual(role.rules, [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }]);
      const binding = objects.find((o) => o.path === `${folder}rolebinding-${stage}-prometheus-${pushNamespace}.yaml`)!.object as Any;
      assert.deepEqual(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name });
      assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: prometheus.spec.serviceAccountName, namespace: prometheus.metadata.namespace }]);
      for (const o of [monitor, role, binding]) assert.deepEqual(validateObject(o), [], o.metadata.name);
    }
  }
  // A second scraped add-on in another namespace: its own monitor and its own Role there, no file shared.
  const ksm = model.addons.addons["kube-state-metrics"]!;
  const two: RepositoryModel = { ...model, addons: { ...model.addons, addons: { ...model.addons.addons, "kube-state-metrics": { ...ksm, scrape: { pods: { "app.kubernetes.io/name": "kube-state-metrics" }, port: "http-metrics" } } } } };
  const staging = renderObjects(two).filter((o) => o.path.startsWith("rollouts/staging/us-east-1/monitoring/") && /^(PodMonitor|Role)$/.test(o.object.kind));
  assert.deepEqual(staging.map((o) => `${o.object.kind} ${o.object.metadata.namespace}/${o.object.metadata.name}`).sort(), [
    "PodMonitor staging-us-east-1/addon-kube-state-metrics",
    "PodMonitor staging-us-east-1/addon-pushgateway",
    `Role ${ksm.namespace}/staging-us-east-1-prometheus-${ksm.namespace}`,
    "Role monitoring/staging-us-east-1-prometheus-monitoring",
    "Role staging-us-east-1/staging-us-east-1-prometheus",
  ]);
  // Not for this stage: no monitor, no Role. Disabled (the site runs its Pushgateway some other way): still scraped.
  for (const spec of [{ when: { clouds: ["gcp" as const] } }, { enabled: false, when: { clouds: ["gcp" as const] } }]) {
    const m: RepositoryModel = { ...model, addons: { ...model.addons, addons: { ...model.addons.addons, pushgateway: { ...model.addons.addons.pushgateway!, ...spec } } } };
    const paths = renderObjects(m).map((o) => o.path).filter((p) => /podmonitor-addon-|prometheus-monitoring\.yaml$/.test(p));
    const gcp = model.environments.flatMap((e) => e.regions.filter((r) => r.cloud === "gcp").map((r) => `rollouts/${e.settings.environment}/${r.region}/monitoring/`));
    assert.deepEqual(paths.filter((p) => !gcp.some((g) => p.startsWith(g))), [], JSON.stringify(spec));
    assert.equal(paths.length, gcp.length * 3, JSON.stringify(spec));
  }
});

test("Karpenter's chart at the pinned release, templated with each AWS stage's values by the Helm Argo CD runs: the controller is told its stage, and every object fits the add-on's project", async () => {
  const { execFileSync } = await import("node:child_process");
  const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { parseAllDocuments } = await import("yaml");
  const { helm } = await import("../toolchain/cluster.ts");
  const { moduleDir } = await import("../toolchain/build.ts");
  const pin = pinOf(model, "karpenter");
  // The chart as the release's git tag holds it (the Go module; the OCI artifact is built from it at
  // release, which also stamps its appVersion: the tag's Chart.yaml still says 1.14.1, so the image tag is not asserted).
  const chart = join(moduleDir(pin.module!, `v${pin.version}`), "charts", "karpenter");
  const spec = model.addons.addons.karpenter!;
  const admitted = new Set(spec.clusterKinds.map((k) => `${k.group}/${k.kind}`));
  // Kinds the chart renders, by scope (Kubernetes API reference); one it adds later fails here until placed.
  const clusterScoped = new Set(["rbac.authorization.k8s.io/ClusterRole", "rbac.authorization.k8s.io/ClusterRoleBinding", "apiextensions.k8s.io/CustomResourceDefinition", "admissionregistration.k8s.io/ValidatingWebhookConfiguration", "admissionregistration.k8s.io/MutatingWebhookConfiguration", "scheduling.k8s.io/PriorityClass"]);
  const namespaced = new Set(["/ServiceAccount", "/Service", "/ConfigMap", "/Secret", "apps/Deployment", "policy/PodDisruptionBudget", "rbac.authorization.k8s.io/Role", "rbac.authorization.k8s.io/RoleBinding", "monitoring.coreos.com/ServiceMonitor", "coordination.k8s.io/Lease"]);
  const dir = mkdtempSync(join(tmpdir(), "bitactor-karpenter-chart-"));
  try {
    const aws = addonApps.filter((a) => a.app.metadata.labels["bitactor.io/addon"] === "karpenter");
    assert.equal(aws.length, model.environments.flatMap((e) => e.regions).filter((r) => r.cloud === "aws").length);
    for (const { app } of aws) {
      const values = join(dir, `${app.metadata.name}.json`);
      writeFileSync(values, JSON.stringify(app.spec.source.helm.valuesObject));
      const namespace = app.spec.destination.namespace;
      const out = execFileSync(helm(), ["template", app.spec.source.helm.releaseName, chart, "--namespace", namespace, "--values", values], { encoding: "utf8" });
      const objects = parseAllDocuments(out).map((d) => d.toJSON() as Any).filter(Boolean);
      for (const o of objects) {
        const gk = `${o.apiVersion.includes("/") ? o.apiVersion.split("/")[0] : ""}/${o.kind}`;
        if (clusterScoped.has(gk)) assert.ok(admitted.has(gk), `${app.metadata.name}: the chart renders ${gk} ${o.metadata.name}, which the add-on's project does not admit (engine/addons.yaml clusterKinds)`);
        else {
          assert.ok(namespaced.has(gk), `${app.metadata.name}: the chart renders ${gk}, of no scope this test knows: place it`);
          assert.ok(o.metadata.namespace === undefined || o.metadata.namespace === namespace, `${app.metadata.name}: ${gk} ${o.metadata.name} goes to ${o.metadata.namespace}, not the Application's ${namespace}`);
        }
      }
      // The account the infrastructure module's Pod Identity association names (kube-system/karpenter).
      assert.deepEqual(objects.filter((o) => o.kind === "ServiceAccount").map((o) => `${o.metadata.namespace}/${o.metadata.name}`), ["kube-system/karpenter"]);
      const cluster = app.spec.destination.name;
      const env = Object.fromEntries(objects.find((o) => o.kind === "Deployment")!.spec.template.spec.containers[0].env.map((e: Any) => [e.name, e.value]));
      assert.equal(env.CLUSTER_NAME, cluster, app.metadata.name);
      assert.equal(env.INTERRUPTION_QUEUE, cluster, app.metadata.name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
