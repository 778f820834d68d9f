// Each stage's Prometheus, which prometheus-operator runs: what the render gives it to select, and
// what the e2e changes in the configuration the operator generates before a process outside a pod
// runs it (npm run e2e and e2e:gitops run the real operator; these pin the rules they rely on).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { committedModel, ROOT } from "./helpers/repo.ts";
import { renderObjects } from "../generators/render.ts";
import { prometheusRelease } from "../generators/inputs/load.ts";
import { podRequests, podTemplatesOf, PROMETHEUS_CONFIG_RELOADER } from "../generators/nodes/fit.ts";
import { harnessConfig, scrapeJobs } from "../harness/e2e/operator-prometheus.ts";

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const model = await committedModel();
const objects = renderObjects(model);
const versions = JSON.parse(readFileSync(join(ROOT, "tools/versions.json"), "utf8")) as { prometheus: { version: string } };

/** A label selector's meaning (apimachinery LabelSelector): every matchLabels pair and every matchExpression (In, NotIn, Exists, DoesNotExist). */
const matchLabels = (labels: Record<string, string>, selector: Any) =>
  Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
  (selector.matchExpressions ?? []).every((e: Any) =>
    e.operator === "In" ? e.values.includes(labels[e.key]) : e.operator === "NotIn" ? !e.values.includes(labels[e.key]) : e.operator === "Exists" ? e.key in labels : !(e.key in labels));

test("every stage's Prometheus selects exactly its own PodMonitors and PrometheusRules", () => {
  const prometheuses = objects.filter((o) => o.object.kind === "Prometheus");
  assert.equal(prometheuses.length, model.environments.reduce((n, e) => n + e.regions.length, 0));
  for (const { path, object } of prometheuses) {
    const p = object as Any;
    const stage = p.metadata.name;
    assert.equal(path, `rollouts/${p.metadata.labels["bitactor.io/environment"]}/${p.metadata.labels["bitactor.io/region"]}/monitoring/prometheus-${stage}.yaml`);
    assert.equal(p.metadata.namespace, "monitoring");
    assert.equal(p.spec.version, prometheusRelease(versions.prometheus.version));
    // A namespace is selected by its kubernetes.io/metadata.name label, which the API server sets.
    const selects = (kind: string, selector: Any, nsSelector: Any) => (o: Any) =>
      o.kind === kind && matchLabels(o.metadata.labels ?? {}, selector) && matchLabels({ "kubernetes.io/metadata.name": o.metadata.namespace }, nsSelector);
    for (const [kind, sel, nsSel] of [["PodMonitor", p.spec.podMonitorSelector, p.spec.podMonitorNamespaceSelector], ["PrometheusRule", p.spec.ruleSelector, p.spec.ruleNamespaceSelector]] as const) {
      // The stage's and its operator's (operator-monitoring.ts).
      const ours = objects.filter((o) => o.object.kind === kind && [stage, `${stage}-operator`].includes(o.object.metadata.namespace!)).map((o) => o.path).sort();
      assert.ok(ours.some((path) => path.includes("bitactor-operator")), `${stage}: the operator's ${kind} is selected`);
      const selected = objects.filter((o) => selects(kind, sel, nsSel)(o.object)).map((o) => o.path).sort();
      assert.ok(ours.length > 0, `${stage} has ${kind}s`);
      assert.deepEqual(selected, ours, `${stage}: its ${kind}s, none of another stage`);
    }
    for (const unselected of ["serviceMonitorSelector", "probeSelector", "scrapeConfigSelector"]) assert.equal(p.spec[unselected], undefined, `${unselected}: nil selects nothing`);
    // Its account may read pods in the two namespaces it scrapes, and nothing else.
    const roles = objects.filter((o) => o.object.kind === "Role" && o.object.metadata.name === p.spec.serviceAccountName).map((o) => o.object as Any);
    assert.deepEqual(roles.map((r) => r.metadata.namespace).sort(), [stage, `${stage}-operator`]);
    for (const role of roles) assert.deepEqual(role.rules, [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }]);
    const bindings = objects.filter((o) => o.object.kind === "RoleBinding" && o.object.metadata.name === p.spec.serviceAccountName).map((o) => o.object as Any);
    assert.deepEqual(bindings.map((b) => b.metadata.namespace).sort(), [stage, `${stage}-operator`]);
    for (const binding of bindings) assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: p.spec.serviceAccountName, namespace: "monitoring" }]);
    assert.ok(objects.some((o) => o.object.kind === "ServiceAccount" && o.object.metadata.name === p.spec.serviceAccountName && o.object.metadata.namespace === "monitoring"));
    // The stage's platform project admits it where it goes.
    const project = objects.find((o) => o.object.kind === "AppProject" && o.object.metadata.name === `${stage}-platform`)?.object as Any;
    assert.ok(project.spec.destinations.some((d: Any) => d.namespace === "monitoring"), `${stage}-platform admits the monitoring namespace`);
    assert.ok(project.spec.namespaceResourceWhitelist.some((k: Any) => k.group === "monitoring.coreos.com" && k.kind === "Prometheus"));
  }
});

test("every stage's Prometheus syncs in its own Application, after the add-ons that bring prometheus-operator and before the engine", () => {
  const wave = (o: Any) => Number(o.metadata.annotations?.["argocd.argoproj.io/sync-wave"] ?? 0);
  for (const env of model.environments) {
    for (const region of env.regions) {
      const stage = `${env.settings.environment}-${region.region}`;
      const dir = `applicationsets/${env.settings.environment}`;
      const app = objects.find((o) => o.path === `${dir}/application-${stage}-monitoring.yaml`)?.object as Any;
      assert.ok(app, stage);
      assert.equal(app.spec.project, `${stage}-platform`);
      assert.equal(app.spec.source.path, `rollouts/${env.settings.environment}/${region.region}/monitoring`);
      assert.deepEqual(app.spec.destination, { name: region.cluster.name, namespace: stage });
      assert.equal(app.metadata.finalizers, undefined, "deleting it leaves the Prometheus running");
      const operator = objects.find((o) => o.path === `${dir}/application-${stage}-prometheus-operator.yaml`)!.object;
      const appset = objects.find((o) => o.path === `${dir}/applicationset-${stage}.yaml`)!.object as Any;
      assert.ok(wave(operator) < wave(app) && wave(app) < wave(appset), `${stage}: waves ${wave(operator)} < ${wave(app)} < ${wave(appset)}`);
      // It may create the stage namespace (its Role goes there), with what the ApplicationSet's Applications give it.
      assert.ok(app.spec.syncPolicy.syncOptions.includes("CreateNamespace=true"));
      const patch = JSON.parse(appset.spec.templatePatch.split("\n")[1]);
      assert.deepEqual(app.spec.syncPolicy.managedNamespaceMetadata, patch.spec.syncPolicy.managedNamespaceMetadata);
      const project = objects.find((o) => o.object.kind === "AppProject" && o.object.metadata.name === `${stage}-platform`)!.object as Any;
      assert.ok(project.spec.clusterResourceWhitelist.some((k: Any) => k.group === "" && k.kind === "Namespace"));
      // The stage's Application set does not also deliver it.
      assert.ok(!JSON.stringify(appset.spec.generators).includes("/monitoring"), stage);
    }
  }
});

test("where the gate reads Amazon Managed Prometheus, the stage's Prometheus remote-writes there as one deduplicated HA group; elsewhere the gate reads it in the cluster", () => {
  for (const env of model.environments) {
    for (const region of env.regions) {
      const stage = `${env.settings.environment}-${region.region}`;
      const p = objects.find((o) => o.object.kind === "Prometheus" && o.object.metadata.name === stage)!.object as Any;
      const sigv4 = region.prometheus.authentication?.sigv4;
      if (sigv4) {
        assert.match(region.prometheus.address, /^https:\/\/aps-workspaces\.[a-z0-9-]+\.amazonaws\.com\/workspaces\/ws-[0-9a-f-]+\/$/);
        assert.deepEqual(p.spec.remoteWrite, [{ url: `${region.prometheus.address}api/v1/remote_write`, sigv4: { region: sigv4.region } }], stage);
        assert.deepEqual(p.spec.externalLabels, { cluster: stage });
        assert.equal(p.spec.replicaExternalLabelName, "__replica__");
      } else {
        assert.equal(p.spec.remoteWrite, undefined, stage);
        assert.equal(region.prometheus.address, `http://prometheus-operated.${env.settings.monitoring.namespace}.svc.cluster.local:9090`, `${stage}: the gate reads the stage's own Prometheus`);
      }
    }
  }
});

test("the fit check counts a Prometheus' pod as the operator makes it: the prometheus container and the config reloader", () => {
  const p = objects.find((o) => o.object.kind === "Prometheus" && o.object.metadata.name === "production-us-east-1")!.object;
  const [pod] = podTemplatesOf(p);
  assert.ok(pod);
  const asked = podRequests(pod.spec);
  const res = (p.spec as Any).resources.requests;
  // The operator's reloader (cmd/operator/main.go: 10m, 50Mi) beside the prometheus container; its init twin runs before, not beside.
  assert.deepEqual(PROMETHEUS_CONFIG_RELOADER, { cpu: "10m", memory: "50Mi" });
  assert.equal(asked.cpu, BigInt(Number(res.cpu) * 1000) + 10n, "2 CPUs and the reloader's 10m");
  assert.equal(asked.memory, 8n * 1024n ** 3n + 50n * 1024n ** 2n);
});

test("prometheusRelease maps the Go module's version to the Prometheus release, and nothing else", () => {
  assert.equal(prometheusRelease("v0.316.0"), "v3.16.0");
  assert.equal(prometheusRelease("v0.305.12"), "v3.5.12");
  for (const bad of ["v3.16.0", "v0.316", "0.316.0", "v0.216.0", 316, undefined]) assert.equal(prometheusRelease(bad), undefined, String(bad));
});

// What prometheus-operator v0.94.1 generated for production-us-east-1/order-engine in an e2e run,
// cut to one job: its discovery, sharding with the pod's variables, and its rule files.
const generated = {
  global: { scrape_interval: "30s", external_labels: { prometheus: "monitoring/production-us-east-1", prometheus_replica: "$(POD_NAME)" }, evaluation_interval: "30s" },
  rule_files: ["/etc/prometheus/rules/prometheus-production-us-east-1-rulefiles-0/*.yaml"],
  scrape_configs: [{
    job_name: "podMonitor/production-us-east-1/order-engine/0",
    kubernetes_sd_configs: [{ role: "pod", namespaces: { names: ["production-us-east-1"] } }],
    scrape_interval: "1s",
    relabel_configs: [
      { action: "keep", source_labels: ["__meta_kubernetes_pod_container_port_name"], regex: "metrics" },
      { target_label: "__tmp_current_shard", replacement: "$(SHARD)", action: "replace" },
      { source_labels: ["__tmp_current_shard"], regex: "0", action: "keep" },
      { source_labels: ["__tmp_hash", "__tmp_disable_sharding"], regex: "$(SHARD);|.+;.+", action: "keep" },
    ],
  }],
};
const places = { kubeconfig: "/k/kubeconfig", fixtureAddress: "127.0.0.1:7", rulesDir: "/r", podName: "prometheus-production-us-east-1-0" };

test("the e2e changes the operator's configuration only where a process outside a pod must differ", () => {
  const out = harnessConfig(structuredClone(generated), places) as Any;
  const job = out.scrape_configs[0];
  assert.deepEqual(job.kubernetes_sd_configs, [{ role: "pod", namespaces: { names: ["production-us-east-1"] }, kubeconfig_file: "/k/kubeconfig" }]);
  // The reloader's envsubst: the first shard, the pod's name.
  assert.equal(job.relabel_configs[1].replacement, "0");
  assert.equal(job.relabel_configs[3].regex, "0;|.+;.+");
  assert.equal(out.global.external_labels.prometheus_replica, "prometheus-production-us-east-1-0");
  assert.deepEqual(out.rule_files, ["/r/prometheus-production-us-east-1-rulefiles-0/*.yaml"]);
  // The operator's rules untouched and first; the address rules last.
  assert.deepEqual(job.relabel_configs.slice(0, 4).map((r: Any) => r.action), ["keep", "replace", "keep", "keep"]);
  assert.deepEqual(job.relabel_configs.slice(4), [
    { source_labels: ["__meta_kubernetes_pod_name"], target_label: "__param_pod" },
    { target_label: "__address__", replacement: "127.0.0.1:7" },
  ]);
  assert.equal(job.scrape_interval, "1s");
  assert.deepEqual(scrapeJobs(out), ["podMonitor/production-us-east-1/order-engine/0"]);
  assert.equal(generated.global.external_labels.prometheus_replica, "$(POD_NAME)", "the input is not modified");
});

test("the e2e leaves out remote writes to the region's managed store, which is out of reach", () => {
  const withWrite = { ...structuredClone(generated), remote_write: [{ url: "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write", sigv4: { region: "us-east-1" } }] };
  const out = harnessConfig(withWrite, places) as Any;
  assert.equal(out.remote_write, undefined);
  assert.deepEqual(out.scrape_configs, (harnessConfig(structuredClone(generated), places) as Any).scrape_configs);
});

test("the e2e refuses a configuration it cannot run faithfully", () => {
  const withServer = structuredClone(generated) as Any;
  withServer.scrape_configs[0].kubernetes_sd_configs[0].api_server = "https://elsewhere";
  assert.throws(() => harnessConfig(withServer, places), /names an api_server/);
  const static_ = structuredClone(generated) as Any;
  static_.scrape_configs[0] = { job_name: "serviceMonitor/x/y/0", static_configs: [{ targets: ["a:1"] }] };
  assert.throws(() => harnessConfig(static_, places), /serviceMonitor\/x\/y\/0: no kubernetes_sd_configs/);
});
