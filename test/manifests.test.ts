// What the rendered objects must say, checked over every object of the committed inputs, and the
// strict validation that catches a misspelled field in a generator.
// Over 300 lines: one test per rendered kind's fields that matter, all over the same render; each reads on its own.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { committedModel } from "./helpers/repo.ts";
import { renderObjects, renderRepository, type K8sObject } from "../generators/render.ts";
import { KNOWN_KINDS, validateObject } from "../generators/validate/models.ts";
import { leSpellings } from "../generators/le.ts";
import { postPromotionSeconds } from "../generators/gate-math.ts";

const model = await committedModel();
const objects = renderObjects(model);
const ofKind = (kind: string) => objects.filter((o) => o.object.kind === kind);
type Any = Record<string, any>; // rendered objects are untyped JSON here

test("one object per file, every name explicit (no hash suffixes), paths follow the stage id", () => {
  assert.equal(new Set(objects.map((o) => o.path)).size, objects.length);
  for (const { path, object } of objects) {
    assert.equal(path.split("/").pop(), `${object.kind.toLowerCase()}-${object.metadata.name}.yaml`);
    assert.doesNotMatch(object.metadata.name, /-c8[0-9a-f]{6,}$/, "cdk8s hash suffix");
    const m = /^rollouts\/([^/]+)\/([^/]+)\//.exec(path);
    if (!m) continue;
    const stage = `${m[1]}-${m[2]}`;
    // The node pools, the CRD, the BitActorCluster and the drill's scratch Namespace are cluster-scoped;
    // Velero's objects and the drill's CronJob, account, modifiers and own Role are in Velero's namespace;
    // the drill's quota and cleaning Role in the scratch one; the node agents in theirs, the operator's account,
    // Lease Role, pods and their policies in its own, its Events Role in default; the stage's Prometheus and
    // its account in prometheus-operator's, and its Role to discover the scraped add-ons' pods there; everything else (its Role and binding too) in the stage's namespace.
    const expected = /\/nodes\//.test(path) || /^(Cluster(Role|RoleBinding)|CustomResourceDefinition|BitActorCluster|Namespace)$/.test(object.kind)
      ? undefined
      : object.apiVersion === "velero.io/v1" || object.metadata.name.startsWith(`${stage}-dr-drill`)
        ? "velero"
        : object.kind === "Prometheus" || (object.kind === "ServiceAccount" && object.metadata.name === `${stage}-prometheus`) || object.metadata.name === `${stage}-prometheus-monitoring`
          ? "monitoring"
        : object.metadata.name === "no-pods" || object.metadata.name === "dr-drill-cleaner"
          ? `${stage}-drill`
          : /\/platform\/(daemonset|serviceaccount-(gpu-device-plugin|node-tuning)|networkpolicy-default-deny)/.test(path)
            ? `${stage}-node-agents`
            : /\/platform\/(serviceaccount-bitactor-operator|role(binding)?-bitactor-operator-lease|podmonitor-bitactor-operator|prometheusrule-bitactor-operator|role(binding)?-[a-z0-9-]+-prometheus\.yaml|deployment-bitactor-operator|poddisruptionbudget-bitactor-operator|networkpolicy-bitactor-operator)/.test(path)
              ? `${stage}-operator`
              : /\/platform\/role(binding)?-bitactor-operator-events/.test(path)
                ? "default"
                : stage;
    assert.equal(object.metadata.namespace, expected, path);
  }
  // 7 stages × (5 components × 15 objects + a trading dashboard + 10 shared objects), 5 AWS stages × 4
  // pools × (NodePool + EC2NodeClass), 7 × (BitActorCluster CRD + resource + Velero location and schedule), 7 ApplicationSets,
  // 7 stages × (2 AppProjects + 1 for the 5 AWS stages' nodes), 2 × 3 bootstrap objects (an
  // AppProject, the root and the Application of the ApplicationSets); staging's one stage has chaos:
  // 5 components × 4 ChaosEngines + 10 objects around them, and its chaos AppProject; every stage has
  // a restore drill: scratch Namespace, quota, modifiers, CronJob, account, 3 Roles and bindings, alert rules,
  // its pods' default deny and egress;
  // node agents (their Namespace and default deny, an account and a DaemonSet each): the GPU device
  // plugin on the 5 AWS stages, node tuning on GCP's 4 pools, both on Azure (4 pools + 1 GPU pool);
  // the platform from git: per stage an add-on project and an Application for each of Argo Rollouts,
  // prometheus-operator, sealed-secrets, kube-state-metrics, Velero, Istio's two charts, the
  // Pushgateway, Grafana and Jaeger (Karpenter too on the 5 AWS stages), and Argo CD's own
  // project and Application, and the management cluster's add-on project and sealed-secrets Application; per stage its Prometheus with an account, Role and binding, and their Application;
  // per stage the operator's access: its Namespace, account, ClusterRole, 3 Roles and 4 bindings;
  // per stage its monitoring: PodMonitor, PrometheusRule, the stage Prometheus' Role and binding;
  // and where a region file pins the operator (staging alone so far) its pods: Deployment, PodDisruptionBudget, 2 NetworkPolicies;
  // per stage the Pushgateway's scrape: a PodMonitor, a Role and its binding.
  assert.equal(objects.length, 7 * (5 * 15 + 1 + 10) + 5 * 4 * 2 + 7 * 4 + 7 + 7 * 2 + 5 + 2 * 3 + (5 * 4 + 10 + 1) + 7 * 14 + 5 * (2 + 2) + (2 + 4 * 2) + (2 + 5 * 2) + 7 * (1 + 10) + 5 + 2 + 7 * (4 + 1) + 7 * 10 + 7 * 4 + 1 * 4 + 7 * 3 + 2);
});

test("blue/green Rollouts: both analyses, never autoPromotionSeconds, promotion mode from the environment", () => {
  const rollouts = ofKind("Rollout");
  assert.equal(rollouts.length, 35);
  for (const { path, object } of rollouts) {
    const bg = (object.spec as Any).strategy.blueGreen;
    const env = model.environments.find((e) => path.startsWith(`rollouts/${e.settings.environment}/`))!.settings;
    const c = object.metadata.name;
    assert.equal(bg.autoPromotionSeconds, undefined);
    assert.equal(bg.autoPromotionEnabled, env.promotion === "automatic", path);
    assert.equal(bg.activeService, c);
    assert.equal(bg.previewService, `${c}-preview`);
    assert.deepEqual(bg.prePromotionAnalysis, { templates: [{ templateName: `${c}-pre-promotion` }], args: [{ name: "preview-hash", valueFrom: { podTemplateHashValue: "Latest" } }] });
    assert.deepEqual(bg.postPromotionAnalysis, { templates: [{ templateName: `${c}-post-promotion` }], args: [{ name: "active-hash", valueFrom: { podTemplateHashValue: "Latest" } }] });
    assert.ok(bg.scaleDownDelaySeconds >= postPromotionSeconds(model.catalog.components[c]!) + 60);
    assert.equal(typeof bg.abortScaleDownDelaySeconds, "number");
    const container = (object.spec as Any).template.spec.containers[0];
    assert.match(container.image, /@sha256:[0-9a-f]{64}$/);
    assert.deepEqual(container.resources.requests, container.resources.limits, "Guaranteed QoS");
    assert.match(container.resources.requests.cpu, /^[1-9][0-9]*$/, "whole CPUs");
  }
});

test("every gate metric is decisive, fails closed and judges one ReplicaSet", () => {
  for (const { path, object } of ofKind("AnalysisTemplate")) {
    const spec = object.spec as Any;
    const component = model.catalog.components[path.split("/")[3]!]!;
    const pre = object.metadata.name.endsWith("-pre-promotion");
    const hashArg = pre ? "preview-hash" : "active-hash";
    assert.deepEqual(spec.args, [{ name: hashArg }]);
    const dry = new Set((spec.dryRun ?? []).map((d: Any) => d.metricName));
    for (const m of spec.metrics as Any[]) {
      assert.equal(m.failureLimit, 0, m.name);
      assert.equal(m.inconclusiveLimit, 0, m.name);
      assert.equal(m.consecutiveErrorLimit, 2, m.name);
      if (m.provider.job) continue;
      const q: string = m.provider.prometheus.query;
      assert.ok(q.includes(`rollouts_pod_template_hash="{{args.${hashArg}}}"`), `${m.name} judges only ${hashArg}`);
      assert.ok(m.provider.prometheus.timeout >= 1);
      assert.equal(m.count, pre ? component.prePromotion.measurements : component.postPromotion.measurements);
      if (dry.has(m.name)) {
        assert.match(q, /^histogram_quantile/);
        continue;
      }
      // A gate needs both conditions: a failureCondition alone passes on NaN.
      assert.match(m.successCondition, /^len\(result\) == 1 && !isNaN\(result\[0\]\) && !isInf\(result\[0\]\) && result\[0\] >= /);
      assert.match(m.failureCondition, /^len\(result\) != 1 \|\| isNaN\(result\[0\]\) \|\| isInf\(result\[0\]\) \|\| result\[0\] < /);
      if (/-le-/.test(m.name)) {
        for (const s of leSpellings(component.budgetNs)) assert.ok(q.includes(s.replace(/\./g, "\\.")), `${m.name} matches le="${s}"`);
        assert.ok(m.successCondition.endsWith(`>= ${model.catalog.quantile}`));
        assert.match(q, /and on\(\)\n\(sum\(increase\(.*_count\{.*\}\[\d+s\]\)\) >= \d+\)$/, "too few samples gives an empty result");
      }
    }
    assert.ok(spec.metrics.some((m: Any) => /-le-\d+ns$/.test(m.name)), "has the exact share metric");
    if (pre) {
      const job = spec.metrics.find((m: Any) => m.provider.job);
      assert.ok(job, "pre-promotion drives load");
      assert.ok(job.provider.job.spec.template.spec.containers[0].args.includes("--schedule=open-loop"));
      assert.ok(job.provider.job.spec.template.spec.containers[0].args.some((a: string) => a.startsWith(`--target=${path.split("/")[3]}-preview.`)));
    }
  }
});

test("the first release is judged: one AnalysisRun per component folder runs the pre-promotion gate on the component's pods", () => {
  const runs = ofKind("AnalysisRun");
  assert.equal(runs.length, ofKind("Rollout").length);
  for (const { path, object } of runs) {
    const folder = path.slice(0, path.lastIndexOf("/"));
    const c = folder.split("/")[3]!;
    assert.equal(object.metadata.name, `${c}-first-release`);
    // An ordinary object: no hook, no wave (either would make every sync wait for the Rollout's health).
    assert.equal((object.metadata as Any).annotations, undefined);
    const pre = objects.find((o) => o.path === `${folder}/analysistemplate-${c}-pre-promotion.yaml`)!.object.spec as Any;
    const run = object.spec as Any;
    assert.equal(run.args, undefined);
    // Exactly the pre-promotion gate, judging every pod of the component instead of one hash.
    const expected = structuredClone(pre.metrics).map((m: Any) => {
      const out: Any = { ...m, name: m.name.replace(/^preview-/, "first-release-") };
      if (m.provider.prometheus) out.provider = { prometheus: { ...m.provider.prometheus, query: m.provider.prometheus.query.replaceAll(', rollouts_pod_template_hash="{{args.preview-hash}}"', "") } };
      return out;
    });
    assert.deepEqual(run.metrics, expected, path);
    assert.deepEqual(run.dryRun, pre.dryRun.map((d: Any) => ({ metricName: d.metricName.replace(/^preview-/, "first-release-") })));
    assert.ok(!JSON.stringify(run).includes("{{"), "no unresolved argument");
  }
});

test("ApplicationSets: go templates with missingkey=error, a list generator from data, automated sync with retry", () => {
  const sets = ofKind("ApplicationSet");
  assert.equal(sets.length, 7);
  for (const { object } of sets) {
    const spec = object.spec as Any;
    assert.equal(spec.goTemplate, true);
    assert.deepEqual(spec.goTemplateOptions, ["missingkey=error"]);
    assert.equal(spec.generators.length, 1);
    assert.deepEqual(Object.keys(spec.generators[0]), ["list"]);
    for (const el of spec.generators[0].list.elements) {
      assert.equal(el.name, `${object.metadata.name}-${el.component}`);
      assert.equal(el.path, `rollouts/${object.metadata.name.replace(/^(staging|production)-/, "$1/")}/${el.component}`);
    }
    const sync = spec.template.spec.syncPolicy;
    assert.deepEqual(sync.automated, { prune: true, selfHeal: true });
    assert.equal(sync.retry.limit, 5);
    assert.equal(spec.template.spec.destination.namespace, object.metadata.name);
    assert.equal(spec.template.metadata.labels["bitactor.io/component"], "{{ .component }}");
  }
});

test("CreateNamespace only where the Application's project admits a Namespace (else Argo CD refuses the whole sync)", () => {
  const projects = new Map(ofKind("AppProject").map(({ object }) => [object.metadata.name, object.spec as Any]));
  let both = { yes: 0, no: 0 };
  for (const { object } of ofKind("ApplicationSet")) {
    const spec = object.spec as Any;
    // The template itself never creates it; the templatePatch does, per element.
    assert.deepEqual(spec.template.spec.syncPolicy.syncOptions, ["PruneLast=true"]);
    assert.equal(spec.template.spec.syncPolicy.managedNamespaceMetadata, undefined);
    // A stage with chaos has one more branch: its chaos Application (test/chaos.test.ts).
    const lines: string[] = spec.templatePatch.trimEnd().split("\n");
    const chaosBranch = lines.indexOf('{{- else if eq .component "chaos" }}');
    if (chaosBranch >= 0) lines.splice(chaosBranch, 2);
    const [ifLine, yes, elseLine, no, end] = lines;
    assert.deepEqual([ifLine, elseLine, end], ['{{- if eq .createNamespace "true" }}', "{{- else }}", "{{- end }}"]);
    assert.deepEqual(JSON.parse(yes).spec.syncPolicy.syncOptions, ["CreateNamespace=true", "PruneLast=true"]);
    assert.equal(JSON.parse(yes).spec.syncPolicy.managedNamespaceMetadata.labels["istio-injection"], "enabled");
    assert.deepEqual(JSON.parse(no), { spec: { syncPolicy: { syncOptions: ["PruneLast=true"] } } });
    for (const el of spec.generators[0].list.elements) {
      const admits = (projects.get(el.project)!.clusterResourceWhitelist as { group: string; kind: string }[]).some((k) => k.group === "" && k.kind === "Namespace");
      // The platform project admits one Namespace, the drill's scratch one (rendered in its folder), and
      // its Application creates no stage namespace: the components' Applications do, with their labels.
      assert.equal(el.createNamespace, String(admits && el.component !== "platform"), `${object.metadata.name} ${el.component} (project ${el.project})`);
      both = admits ? { ...both, yes: both.yes + 1 } : { ...both, no: both.no + 1 };
    }
  }
  assert.ok(both.yes > 0 && both.no > 0, "both kinds of Application exist");
});

test("bootstrap: the root syncs apps/<env>/ (its project in wave -1), which brings the Application of the ApplicationSets (wave 1)", () => {
  for (const env of model.environments) {
    const e = env.settings.environment;
    const apps = ofKind("Application").filter((o) => o.path.startsWith(`apps/${e}/`)).map((o) => o.object as Any);
    const root = apps.find((a) => a.metadata.name === `${e}-root`)!;
    const sets = apps.find((a) => a.metadata.name === `${e}-applicationsets`)!;
    // Argo CD's own Application and the management cluster's add-ons live beside the root of the
    // environment that carries them (one management cluster serves both): the root brings them in
    // wave 0, before the ApplicationSets.
    const carriesArgoCd = model.addons.argocd.environment === e;
    assert.equal(apps.length, carriesArgoCd ? 3 + model.addons.argocd.addons.length : 2);
    if (carriesArgoCd) for (const id of model.addons.argocd.addons) assert.equal(apps.find((a) => a.metadata.name === `management-${id}`)?.metadata.annotations["argocd.argoproj.io/sync-wave"], "0", id);
    if (carriesArgoCd) {
      const self = apps.find((a) => a.metadata.name === "argocd")!;
      assert.equal(self.spec.project, "argocd");
      assert.equal(self.metadata.annotations["argocd.argoproj.io/sync-wave"], "0");
      assert.equal(self.metadata.finalizers, undefined, "no cascading delete of Argo CD by its own Application");
      assert.equal(self.spec.syncPolicy.automated.prune, false);
    }
    assert.equal(root.spec.source.path, `apps/${e}`);
    assert.equal(sets.spec.source.path, `applicationsets/${e}`);
    for (const a of [root, sets]) {
      assert.equal(a.spec.project, `${e}-bootstrap`);
      assert.deepEqual(a.spec.destination, { server: "https://kubernetes.default.svc", namespace: env.settings.argocd.namespace });
    }
    assert.equal(sets.metadata.annotations["argocd.argoproj.io/sync-wave"], "1");
    const projects = ofKind("AppProject").filter((o) => o.path.startsWith(`apps/${e}/`));
    // Its own, and where it carries Argo CD: Argo CD's and the management cluster's add-on project.
    assert.equal(projects.length, carriesArgoCd ? 3 : 1);
    for (const p of projects) assert.ok(Number((p.object.metadata as Any).annotations["argocd.argoproj.io/sync-wave"]) < 1, p.path);
    const bootstrap = projects.find((p) => p.object.metadata.name === `${e}-bootstrap`)!.object.spec as Any;
    assert.deepEqual(bootstrap.namespaceResourceWhitelist, [
      { group: "argoproj.io", kind: "AppProject" },
      { group: "argoproj.io", kind: "Application" },
      { group: "argoproj.io", kind: "ApplicationSet" },
    ]);
    assert.deepEqual(bootstrap.clusterResourceWhitelist, []);
    assert.deepEqual(bootstrap.destinations, [{ server: "https://kubernetes.default.svc", namespace: env.settings.argocd.namespace }]);
  }
});

test("every component has a PodMonitor: all its pods, blue and green, every scrape interval, the gate's labels", () => {
  // The operator's own (test/operator-rules.test.ts) are in its namespace; these are the components'.
  // The add-ons' (addon-<id>, test/addons.test.ts) look into the add-on's namespace.
  const monitors = ofKind("PodMonitor").filter((m) => !m.object.metadata.namespace?.endsWith("-operator") && !m.object.metadata.name.startsWith("addon-"));
  assert.equal(monitors.length, ofKind("Rollout").length);
  for (const { path, object } of monitors) {
    const folder = path.slice(0, path.lastIndexOf("/"));
    const rollout = objects.find((o) => o.path.startsWith(`${folder}/rollout-`))!.object.spec as Any;
    const c = model.catalog.components[object.metadata.name]!;
    const spec = object.spec as Any;
    // The Rollout's selector has no pod-template hash, so both ReplicaSets' pods are scraped.
    assert.deepEqual(spec.selector, { matchLabels: rollout.selector.matchLabels }, path);
    assert.equal(spec.podMetricsEndpoints.length, 1);
    const ep = spec.podMetricsEndpoints[0];
    assert.equal(ep.port, c.metricsPort.name);
    assert.equal(ep.interval, `${model.catalog.scrapeIntervalSeconds}s`);
    assert.equal(ep.interval, "1s", "the latency SLO is measured on 1 s scrapes");
    assert.equal(ep.scrapeTimeout, ep.interval);
    assert.ok(rollout.template.spec.containers[0].ports.some((p: Any) => p.name === ep.port), "the port exists on the pods");
    // The labels the gate's queries select on are written from the pod and its namespace.
    assert.deepEqual(ep.relabelings, [
      { sourceLabels: ["__meta_kubernetes_pod_label_rollouts_pod_template_hash"], targetLabel: model.catalog.podTemplateHashLabel, action: "replace" },
      // Argo Rollouts' ephemeral active/preview label, so alerts judge production pods only.
      { sourceLabels: ["__meta_kubernetes_pod_label_bitactor_io_rollout_role"], targetLabel: model.catalog.roleLabel, action: "replace" },
      { sourceLabels: ["__meta_kubernetes_namespace"], targetLabel: model.catalog.namespaceLabel, action: "replace" },
    ]);
  }
});

test("AppProjects are narrow and per stage: this repo, the stage's cluster and namespace, the kinds of its folders", () => {
  for (const env of model.environments) {
    const e = env.settings.environment;
    for (const r of env.regions) {
      const stage = `${e}-${r.region}`;
      const at = (name: string) => ofKind("AppProject").find((o) => o.object.metadata.name === name);
      const p = at(stage)!;
      // Next to the stage's ApplicationSet, one wave before it (created before it, pruned after it).
      assert.equal(p.path, `applicationsets/${e}/appproject-${stage}.yaml`);
      assert.equal((p.object.metadata as Any).annotations["argocd.argoproj.io/sync-wave"], "-1");
      const spec = p.object.spec as Any;
      assert.deepEqual(spec.sourceRepos, [env.settings.repository.url]);
      assert.deepEqual(spec.destinations, [{ name: r.cluster.name, namespace: stage }]);
      assert.deepEqual(spec.clusterResourceWhitelist, [{ group: "", kind: "Namespace" }]);
      // The monitoring folder's Application is in the platform project too.
      const kindsOf = (folder: "nodes" | "platform" | "chaos" | undefined) => new Set(objects.filter((o) => o.path.startsWith(`rollouts/${e}/${r.region}/`) && (/\/(nodes|platform|chaos|monitoring)\//.exec(o.path)?.[1]?.replace("monitoring", "platform") === folder)).map((o) => `${o.object.apiVersion.includes("/") ? o.object.apiVersion.split("/")[0] : ""}/${o.object.kind}`));
      assert.deepEqual(new Set(spec.namespaceResourceWhitelist.map((k: Any) => `${k.group}/${k.kind}`)), kindsOf(undefined));
      // The node pools' kinds are allowed only in the node project, as cluster-scoped kinds; no node project without nodes.
      const n = at(`${stage}-nodes`);
      if (r.cloud !== "aws") assert.equal(n, undefined);
      else {
        assert.deepEqual(new Set((n!.object.spec as Any).clusterResourceWhitelist.map((k: Any) => `${k.group}/${k.kind}`)), kindsOf("nodes"));
        assert.deepEqual((n!.object.spec as Any).namespaceResourceWhitelist, []);
        assert.deepEqual((n!.object.spec as Any).destinations, [{ name: r.cluster.name, namespace: stage }]);
      }
      // The BitActorCluster and its CRD only in the platform project, Velero's kinds only in Velero's namespace.
      const pl = at(`${stage}-platform`)!.object.spec as Any;
      // ... and Namespace: the monitoring Application creates the stage namespace.
      assert.deepEqual(new Set([...pl.clusterResourceWhitelist, ...pl.namespaceResourceWhitelist].map((k: Any) => `${k.group}/${k.kind}`)), new Set([...kindsOf("platform"), "/Namespace"]));
      // Velero's two kinds and the restore drill's; its scratch namespace is the third destination.
      // Every stage runs node agents (a GPU pool everywhere; tuning on GCP and Azure): their DaemonSets and default deny, in their namespace.
      assert.deepEqual(pl.namespaceResourceWhitelist.map((k: Any) => `${k.group}/${k.kind}`), ["velero.io/BackupStorageLocation", "velero.io/Schedule", "batch/CronJob", "/ServiceAccount", "/ConfigMap", "/ResourceQuota", "rbac.authorization.k8s.io/Role", "rbac.authorization.k8s.io/RoleBinding", "monitoring.coreos.com/PrometheusRule", "networking.k8s.io/NetworkPolicy", "monitoring.coreos.com/Prometheus", "monitoring.coreos.com/PodMonitor", ...(e === "staging" ? ["apps/Deployment", "policy/PodDisruptionBudget"] : []), "apps/DaemonSet"]);
      assert.deepEqual(pl.destinations, [{ name: r.cluster.name, namespace: stage }, { name: r.cluster.name, namespace: "velero" }, { name: r.cluster.name, namespace: "monitoring" }, { name: r.cluster.name, namespace: `${stage}-drill` }, { name: r.cluster.name, namespace: `${stage}-node-agents` }, { name: r.cluster.name, namespace: `${stage}-operator` }, { name: r.cluster.name, namespace: "default" }]);
      // The operator's ClusterRole and binding are the platform project's only RBAC beyond Roles.
      assert.deepEqual(pl.clusterResourceWhitelist.filter((k: Any) => k.group === "rbac.authorization.k8s.io").map((k: Any) => k.kind), ["ClusterRole", "ClusterRoleBinding"]);
      // The chaos kinds only in the chaos project, which exists only where the environment has chaos.
      const c = at(`${stage}-chaos`);
      if (!env.settings.chaos) assert.equal(c, undefined);
      else {
        const cs = c!.object.spec as Any;
        assert.deepEqual(new Set([...cs.clusterResourceWhitelist, ...cs.namespaceResourceWhitelist].map((k: Any) => `${k.group}/${k.kind}`)), kindsOf("chaos"));
        assert.deepEqual(cs.destinations, [{ name: r.cluster.name, namespace: stage }]);
      }
    }
  }
  // No project admits another stage's cluster: the only projects are the stages' and the bootstraps.
  // Per stage also its add-on project; and Argo CD's own project and the management cluster's add-on project.
  assert.equal(ofKind("AppProject").length, 2 + model.environments.reduce((n, env) => n + 1 + env.regions.reduce((m, r) => m + (r.cloud === "aws" ? 3 : 2) + 1 + (env.settings.chaos ? 1 : 0), 0), 0));
});

test("a misspelled field anywhere in a generator's output is rejected by the strict validation", () => {
  // Every object, every nested key: rename one key and the validator must name that field.
  const targets: { i: number; path: string[] }[] = [];
  objects.forEach(({ object }, i) => {
    const walk = (o: unknown, path: string[]) => {
      if (Array.isArray(o)) o.forEach((v, j) => walk(v, [...path, String(j)]));
      else if (o && typeof o === "object") {
        // Free-form by schema (maps): the list generator's elements, labels, annotations, a ConfigMap's data, Istio's per-port mTLS, Karpenter's tag selectors, a CRD schema's properties, a ChaosEngine's runner and experiment labels and annotations, a BitActorCluster's components, targets and per-pod resources, a ResourceQuota's hard limits, an add-on's Helm values (the chart's schema, not the Application's, types them), a Prometheus' external labels.
        if (/\/elements\/\d+$|\/(labels|annotations|matchLabels|nodeSelector|selector|limits|requests|portLevelMtls|tags|properties|config|runnerLabels|runnerAnnotations|experimentAnnotations|hard|valuesObject|externalLabels|perPod)$|^\/spec\/(components|targets)$|^\/data$/.test("/" + path.join("/"))) return;
        for (const [k, v] of Object.entries(o)) {
          // Top-level apiVersion/kind select the schema; renaming them is "no schema" (tested below).
          if (path.length > 0 || (k !== "apiVersion" && k !== "kind")) targets.push({ i, path: [...path, k] });
          walk(v, [...path, k]);
        }
      }
    };
    walk(object, []);
  });
  assert.ok(targets.length > 5000);
  fc.assert(
    fc.property(fc.constantFrom(...targets), ({ i, path }) => {
      const copy = structuredClone(objects[i]!.object) as Any;
      const parent = path.slice(0, -1).reduce((o, k) => o[k], copy);
      const key = path.at(-1)!;
      parent[key + "x"] = parent[key];
      delete parent[key];
      const issues = validateObject(copy);
      const misspelled = "/" + [...path.slice(0, -1), key + "x"].join("/");
      assert.ok(issues.some((x) => x.path === misspelled || x.path === ""), `${objects[i]!.path}: ${misspelled} not caught: ${JSON.stringify(issues)}`);
    }),
    { numRuns: 1500 },
  );
  // And every committed object is clean.
  for (const { path, object } of objects) assert.deepEqual(validateObject(object), [], path);
});

test("a render whose generator emits a bad object throws before writing, naming file and field", () => {
  const bad = structuredClone(objects.find((o) => o.object.kind === "Rollout")!.object) as K8sObject & Any;
  bad.spec.strategy.blueGreen.scaleDownDelaySecond = 30;
  assert.deepEqual(validateObject(bad), [{ path: "/spec/strategy/blueGreen/scaleDownDelaySecond", message: 'unknown field "scaleDownDelaySecond" (not in the schema)' }]);
  bad.spec.replicas = "three";
  assert.ok(validateObject(bad).some((i) => /must be integer/.test(i.message)));
  // AppProject description: the one field the compiled models lost; still type-checked.
  const project = structuredClone(ofKind("AppProject")[0]!.object) as Any;
  project.spec.description = 42;
  assert.deepEqual(validateObject(project), [{ path: "/spec/description", message: "must be a string" }]);
  project.spec.descripton = "typo";
  assert.ok(validateObject(project).some((i) => i.path === "/spec/descripton"));
  // Kinds without a models package (generators/validate/crd-models.ts): a CNI config that is not JSON,
  // a Velero schedule with a wrong type, a BitActorCluster whose spec breaks regionSchema.
  const nad = structuredClone(ofKind("NetworkAttachmentDefinition")[0]!.object) as Any;
  nad.spec.config = "{\"cniVersion\": ";
  assert.match(validateObject(nad)[0]!.message, /^\/spec\/config is not JSON/);
  const schedule = structuredClone(ofKind("Schedule")[0]!.object) as Any;
  schedule.spec.template.snapshotVolumes = "false";
  assert.match(validateObject(schedule)[0]!.message, /\/spec\/template\/snapshotVolumes must be boolean/);
  const bac = structuredClone(ofKind("BitActorCluster")[0]!.object) as Any;
  bac.spec.zones = ["a"];
  assert.match(validateObject(bac)[0]!.message, /\/spec\/zones must NOT have fewer than 3 items/);
  assert.deepEqual(validateObject({ apiVersion: "v1", kind: "Secret" }), [{ path: "/kind", message: `no schema for v1/Secret; the render may emit only ${KNOWN_KINDS.join(", ")}` }]);
  assert.ok(KNOWN_KINDS.includes("litmuschaos.io/v1alpha1/ChaosEngine") && !KNOWN_KINDS.includes("v1/Secret"));
  // Every object, and one infrastructure module per stage.
  assert.equal(renderRepository(model).size, objects.length + model.environments.flatMap((e) => e.regions).length);
});

test("Rollouts label active and preview pods (Argo's ephemeral metadata) and link their dashboard", () => {
  for (const { path, object } of ofKind("Rollout")) {
    const bg = (object.spec as Any).strategy.blueGreen;
    assert.deepEqual(bg.activeMetadata, { labels: { "bitactor.io/rollout-role": "active" } }, path);
    assert.deepEqual(bg.previewMetadata, { labels: { "bitactor.io/rollout-role": "preview" } }, path);
    // Ephemeral labels are not part of the pod template, so adding them changes no pod-template hash.
    assert.equal((object.spec as Any).template.metadata.labels["bitactor.io/rollout-role"], undefined, path);
    assert.match((object.metadata as Any).annotations["link.argocd.argoproj.io/dashboard"], /^Latency and SLO\|https:\/\/grafana\.[a-z0-9-]+\.bitactor\.internal\/d\/bitactor-[a-z-]+\?var-namespace=[a-z0-9-]+$/, path);
  }
});

test("every component has a PrometheusRule reading only its own stage, with the catalog's objectives and burn rates", () => {
  // The component rules; each stage's platform folder also holds the restore drill's (test/dr-drill.test.ts).
  const rules = ofKind("PrometheusRule").filter((r) => !r.path.includes("/platform/"));
  assert.equal(rules.length, ofKind("Rollout").length);
  for (const { path, object } of rules) {
    const ns = object.metadata.namespace!;
    const groups = (object.spec as Any).groups as { name: string; interval: string; rules: Any[] }[];
    assert.deepEqual(groups.map((g) => g.name), ["latency", "slo", "alerts"].map((g) => `${object.metadata.name}.${g}`), path);
    for (const r of groups.flatMap((g) => g.rules)) {
      // Every selector of every rule is scoped to the stage's namespace.
      for (const sel of r.expr.match(/\{[^}]*\}/g) ?? []) assert.ok(sel.includes(`namespace="${ns}"`), `${path}: ${sel}`);
      if (r.alert) assert.ok(["page", "ticket"].includes(r.labels.severity), `${path}: ${r.alert}`);
      // docs/observability.md: every alert carries a link to its component's dashboard on its stage.
      if (r.alert) {
        const region = model.environments.flatMap((e) => e.regions.map((g) => ({ ns: `${e.settings.environment}-${g.region}`, g }))).find((x) => x.ns === ns)!.g;
        assert.equal(r.annotations.dashboard, `${region.grafana.url}/d/bitactor-${object.metadata.name}?var-namespace=${ns}`, `${path}: ${r.alert}`);
      }
      // Judged on active pods only: the p99 and absence alerts select them, the burn-rate alerts read SLO records that do.
      if ((r.alert && !/BurnRate$/.test(r.alert)) || r.record?.startsWith("bitactor:slo_")) assert.match(r.expr, /rollout_role="active"/, `${path}: ${r.alert ?? r.record} judges active pods only`);
      if (r.alert && /BurnRate$/.test(r.alert)) assert.match(r.expr, /^bitactor:slo_/, path);
    }
    const alerts = groups[2]!.rules;
    const burn = alerts.filter((r) => r.alert === "BitActorLatencySLOBurnRate");
    assert.deepEqual(burn.map((r) => [r.labels.severity, r.labels.long_window, r.labels.short_window, Number(r.labels.burn_rate)]), model.catalog.slo.burnRateAlerts.map((b) => [b.severity, b.longWindow, b.shortWindow, b.burnRate]));
    for (const r of burn) assert.ok(r.expr.includes(`> (${r.labels.burn_rate} * (1 - ${model.catalog.slo.latencyObjective}))`), path);
  }
});
