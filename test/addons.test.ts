// The platform from git: what the add-on Applications and Argo CD's own Application must say, over
// every stage of the committed inputs and over generated add-on catalogs, and what moving a release does.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { committedModel } from "./helpers/repo.ts";
import { renderObjects } from "../generators/render.ts";
import { addonApplies } from "../generators/constructs/addon-applications.ts";
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
      const want = Object.entries(model.addons.addons).filter(([, spec]) => addonApplies(spec, env.settings.environment, r)).map(([id]) => id).sort();
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
    assert.equal(app.spec.source.path, pin.source.type === "git" ? spec.path : ".", id);
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
  // The committed releases are all published; Karpenter's OCI chart cannot be looked up here and says so.
  const ok = addonReleaseReport(text, moduleMissing);
  assert.deepEqual(ok.problems, []);
  assert.equal(ok.published, 4);
  assert.deepEqual(ok.notLookedUp, ["karpenter 1.15.1 (oci://public.ecr.aws/karpenter/karpenter: a chart registry, not reachable here)"]);
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
