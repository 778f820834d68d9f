// npm run kube-score: kube-score's findings judged against the reviewed exceptions (a finding without
// one fails, so does an exception that matches nothing), each Rollout scored as the Deployment it
// stands for, and the real kube-score over a small tree with planted problems.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { ROOT } from "./helpers/repo.ts";
import { withDir } from "./helpers/tmp.ts";
import { EXCEPTIONS_FILE, findingsReport, formatFinding, judge, kubeScoreFindings, kubeScoreInput, parseExceptions, summaryLine, type KubeScoreFinding, type KubeScoreObject } from "../checks/kube-score.ts";

const finding = (object: string, check: string, file = "rollouts/staging/us-east-1/x/rollout-x.yaml"): KubeScoreFinding => ({
  file,
  object,
  check,
  checkName: check,
  checkComment: `what ${check} checks`,
  grade: "CRITICAL",
  comments: [{ path: "engine", summary: `kube-score's word on ${check}` }],
});

const REASON = "accepted for a reason long enough for a reviewer to judge it";

test("a finding without an exception is unreviewed and printed with its file, object, check and kube-score's comment", () => {
  const f = finding("Rollout/staging-us-east-1/order-engine", "pod-probes-identical");
  const j = judge([f], []);
  assert.deepEqual([j.reviewed, j.unreviewed, j.stale], [[], [f], []]);
  assert.equal(formatFinding(f), "rollouts/staging/us-east-1/x/rollout-x.yaml: Rollout/staging-us-east-1/order-engine: pod-probes-identical (CRITICAL): engine: kube-score's word on pod-probes-identical");
  // An exception for another check or another object does not cover it.
  const other = judge([f], parseExceptions(`- { check: container-image-pull-policy, objects: "Rollout/*/*", reason: "${REASON}" }\n- { check: pod-probes-identical, objects: "Rollout/production-*/*", reason: "${REASON}" }\n`).exceptions);
  assert.deepEqual(other.unreviewed, [f]);
  assert.equal(other.stale.length, 2);
});

test("an exception that matches no finding is stale, each of its globs on its own", () => {
  const { exceptions, problems } = parseExceptions(`- check: pod-probes-identical
  objects: ["Rollout/staging-us-east-1/order-engine", "Rollout/staging-us-east-1/gone"]
  reason: ${REASON}
- check: deployment-replicas
  objects: Deployment/*/otel-collector
  reason: ${REASON}
`);
  assert.deepEqual(problems, []);
  const j = judge([finding("Rollout/staging-us-east-1/order-engine", "pod-probes-identical")], exceptions);
  assert.equal(j.unreviewed.length, 0);
  assert.deepEqual(j.stale, [
    `${EXCEPTIONS_FILE}: /0: pod-probes-identical on Rollout/staging-us-east-1/gone matches no finding: stale, remove it`,
    `${EXCEPTIONS_FILE}: /1: deployment-replicas on Deployment/*/otel-collector matches no finding: stale, remove it`,
  ]);
});

test("a matching exception reviews its findings; a glob part stays within its part; a finding listed twice is named", () => {
  const { exceptions } = parseExceptions(`- check: networkpolicy-targets-pod
  objects: NetworkPolicy/*/*-load
  reason: ${REASON}
`);
  const load = ["staging-us-east-1", "production-us-east-1"].map((ns) => finding(`NetworkPolicy/${ns}/order-engine-load`, "networkpolicy-targets-pod"));
  const own = finding("NetworkPolicy/staging-us-east-1/order-engine", "networkpolicy-targets-pod");
  const j = judge([...load, own], exceptions);
  assert.deepEqual([j.reviewed, j.unreviewed, j.stale], [load, [own], []]);
  // `*` never crosses a slash: a namespace glob cannot swallow the name.
  assert.equal(judge([finding("NetworkPolicy/a/b/c-load", "networkpolicy-targets-pod")], exceptions).unreviewed.length, 1);
  const twice = judge(load.slice(0, 1), parseExceptions(`- { check: networkpolicy-targets-pod, objects: "NetworkPolicy/*/*-load", reason: "${REASON}" }\n- { check: networkpolicy-targets-pod, objects: "NetworkPolicy/staging-us-east-1/*", reason: "${REASON}" }\n`).exceptions);
  assert.deepEqual(twice.listedTwice, [`${load[0]!.file}: NetworkPolicy/staging-us-east-1/order-engine-load: networkpolicy-targets-pod is listed by 2 exceptions of ${EXCEPTIONS_FILE} (/0, /1): keep one`]);
  assert.match(summaryLine("v1.20.0", { files: 3, objects: 4, rollouts: 1, analysisJobs: 2 }, 3, j), /^kube-score v1\.20\.0: 3 files, 4 objects scored \(1 Rollouts as the Deployments they stand for, 2 analysis job metrics as their Jobs\), 3 findings: 2 reviewed, 1 unreviewed, 0 stale exceptions$/);
});

test("the exceptions file: a list of { check, objects, reason }, each entry checked; the committed one is valid", async () => {
  assert.deepEqual(parseExceptions("# nothing accepted yet\n[]\n"), { exceptions: [], problems: [] });
  assert.deepEqual(parseExceptions("").problems, []);
  assert.deepEqual(parseExceptions("check: x\n").problems, [`${EXCEPTIONS_FILE}: must be a list of { check, objects, reason }`]);
  const { exceptions, problems } = parseExceptions(`- check: Pod Probes
  objects: order-engine
  reason: fine
  until: never
`);
  assert.deepEqual(exceptions, []);
  assert.deepEqual(problems, [
    `${EXCEPTIONS_FILE}: /0/check: a kube-score check id (pod-probes-identical) is required`,
    `${EXCEPTIONS_FILE}: /0/objects: name the objects as Kind/namespace/name globs (Rollout/production-*/order-engine), one or a list`,
    `${EXCEPTIONS_FILE}: /0/reason: say why this finding is accepted (at least 30 characters)`,
    `${EXCEPTIONS_FILE}: /0/until: unknown field (allowed: check, objects, reason)`,
  ]);
  assert.deepEqual(parseExceptions(await readFile(join(ROOT, EXCEPTIONS_FILE), "utf8")).problems, []);
});

/** An analysis load Job's pod template, as the render writes it (generators/load-job.ts). */
const LOAD_TEMPLATE = {
  metadata: { labels: { "bitactor.io/component": "engine", "bitactor.io/role": "analysis-load" } },
  spec: { restartPolicy: "Never", containers: [{ name: "load", image: "registry.bitactor.internal/loadgen@sha256:" + "3".repeat(64), resources: { limits: { cpu: "4", memory: "2Gi" }, requests: { cpu: "4", memory: "2Gi" } } }] },
};

const POD_TEMPLATE = {
  metadata: { labels: { app: "engine" }, annotations: { "traffic.sidecar.istio.io/excludeInboundPorts": "9000" } },
  spec: { containers: [{ name: "engine", image: "registry.bitactor.internal/engine@sha256:" + "1".repeat(64), resources: { limits: { cpu: "2", memory: "1Gi" }, requests: { cpu: "2", memory: "1Gi" } } }] },
};

test("each Rollout is shown to kube-score as the Deployment it stands for, pod template and all, and its findings are reported against the Rollout", () => {
  const rollout = {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Rollout",
    metadata: { name: "engine", namespace: "staging-us-east-1", labels: { "app.kubernetes.io/name": "engine" } },
    spec: { replicas: 3, revisionHistoryLimit: 3, selector: { matchLabels: { app: "engine" } }, strategy: { blueGreen: { activeService: "engine" } }, template: POD_TEMPLATE },
  };
  const service = "# Rendered\napiVersion: v1\nkind: Service\nmetadata:\n  name: engine\n";
  const input = kubeScoreInput(new Map([
    ["rollouts/s/engine/rollout-engine.yaml", `# Rendered\n${JSON.stringify(rollout)}\n`],
    ["rollouts/s/engine/service-engine.yaml", service],
    ["rollouts/s/engine/README.md", "not YAML"],
  ]));
  assert.deepEqual([...input.files.keys()], ["rollouts/s/engine/rollout-engine.yaml", "rollouts/s/engine/service-engine.yaml"]);
  assert.equal(input.files.get("rollouts/s/engine/service-engine.yaml"), service);
  assert.deepEqual(parse(input.files.get("rollouts/s/engine/rollout-engine.yaml")!), {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: rollout.metadata,
    spec: { replicas: 3, selector: rollout.spec.selector, template: POD_TEMPLATE },
  });
  assert.deepEqual(input.rollouts, [{ file: "rollouts/s/engine/rollout-engine.yaml", namespace: "staging-us-east-1", name: "engine" }]);
  // A Rollout whose pods kube-score cannot see is refused, not passed.
  const ref = { ...rollout, spec: { replicas: 1, workloadRef: { apiVersion: "apps/v1", kind: "Deployment", name: "engine" } } };
  assert.throws(() => kubeScoreInput(new Map([["r.yaml", JSON.stringify(ref)]])), /^Error: r\.yaml: Rollout engine has no pod template \(spec\.template\) for kube-score to score$/);

  const scored = (kind: string, file: string, checks: KubeScoreObject["checks"]): KubeScoreObject => ({
    object_name: `${kind}/apps/v1/staging-us-east-1/engine`, type_meta: { apiVersion: "apps/v1", kind }, object_meta: { name: "engine", namespace: "staging-us-east-1" }, checks, file_name: file, file_row: 1,
  });
  const check = (id: string, grade: number, skipped = false) => ({ check: { id, name: id, comment: `what ${id} checks` }, grade, skipped, comments: [{ path: "", summary: `${id} at ${grade}`, description: "" }] });
  const findings = kubeScoreFindings([
    scored("Deployment", "rollouts/s/engine/rollout-engine.yaml", [check("pod-probes-identical", 1), check("deployment-replicas", 5), check("container-resources", 10), check("pod-networkpolicy", 7), check("container-security-context-user-group-id", 1, true)]),
    scored("Deployment", "rollouts/s/other/deployment-engine.yaml", [check("deployment-replicas", 5)]),
    scored("Service", "rollouts/s/engine/service-engine.yaml", null),
  ], input);
  // CRITICAL (1) and WARNING (5) only; OK (7, 10) and skipped checks are ignored.
  assert.deepEqual(findings.map(formatFinding), [
    "rollouts/s/engine/rollout-engine.yaml: Rollout/staging-us-east-1/engine (scored as a Deployment): deployment-replicas (WARNING): deployment-replicas at 5",
    "rollouts/s/engine/rollout-engine.yaml: Rollout/staging-us-east-1/engine (scored as a Deployment): pod-probes-identical (CRITICAL): pod-probes-identical at 1",
    "rollouts/s/other/deployment-engine.yaml: Deployment/staging-us-east-1/engine: deployment-replicas (WARNING): deployment-replicas at 5",
  ]);
  const report = findingsReport("v1.20.0", findings, judge(findings, []));
  assert.match(report, /^deployment-replicas \| WARNING \(2\) \| 2 \| 0$/m);
  assert.match(report, /^## pod-probes-identical \(pod-probes-identical\): 1 finding, 0 reviewed$/m);
  assert.match(report, /^kinds: Rollout \(1\), Deployment \(1\)$/m);
});

test("each analysis's job metric is shown to kube-score beside it as the Job it creates, pod template and all, and its findings are reported against the analysis", () => {
  const template = {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "AnalysisTemplate",
    metadata: { name: "engine-pre-promotion", namespace: "staging-us-east-1" },
    spec: {
      metrics: [
        { name: "load", provider: { job: { metadata: { labels: { "app.kubernetes.io/name": "engine" } }, spec: { backoffLimit: 0, template: LOAD_TEMPLATE } } } },
        { name: "p99", provider: { prometheus: { address: "http://prometheus:9090", query: "up" } } },
      ],
    },
  };
  const input = kubeScoreInput(new Map([["rollouts/s/engine/analysistemplate-engine-pre-promotion.yaml", `# Rendered\n${JSON.stringify(template)}\n`]]));
  // The analysis stays as it is; its job metric follows it as a Job (a Prometheus metric creates none).
  assert.deepEqual(parseAllDocuments(input.files.get("rollouts/s/engine/analysistemplate-engine-pre-promotion.yaml")!).map((d) => d.toJS()), [
    template,
    { apiVersion: "batch/v1", kind: "Job", metadata: { name: "engine-pre-promotion.load", namespace: "staging-us-east-1", labels: { "app.kubernetes.io/name": "engine" } }, spec: { backoffLimit: 0, template: LOAD_TEMPLATE } },
  ]);
  assert.deepEqual(input.analysisJobs, [{ file: "rollouts/s/engine/analysistemplate-engine-pre-promotion.yaml", namespace: "staging-us-east-1", name: "engine-pre-promotion.load", kind: "AnalysisTemplate", analysis: "engine-pre-promotion", metric: "load" }]);
  const job: KubeScoreObject = {
    object_name: "Job/batch/v1/staging-us-east-1/engine-pre-promotion.load", type_meta: { apiVersion: "batch/v1", kind: "Job" }, object_meta: { name: "engine-pre-promotion.load", namespace: "staging-us-east-1" },
    checks: [{ check: { id: "container-image-pull-policy", name: "Container Image Pull Policy", comment: "pull policy" }, grade: 1, skipped: false, comments: [{ path: "load", summary: "ImagePullPolicy is not set to Always", description: "" }] }],
    file_name: "rollouts/s/engine/analysistemplate-engine-pre-promotion.yaml", file_row: 2,
  };
  assert.deepEqual(kubeScoreFindings([job], input).map(formatFinding), [
    "rollouts/s/engine/analysistemplate-engine-pre-promotion.yaml: AnalysisTemplate/staging-us-east-1/engine-pre-promotion (scored as a Job of metric load): container-image-pull-policy (CRITICAL): load: ImagePullPolicy is not set to Always",
  ]);
});

const HEADER = "# Rendered by `npm run render` from engine/ and environments/. Do not edit: change the inputs and render.\n";

test("the real kube-score over a small tree: a Deployment without resources, a Rollout with identical probes and an analysis load Job without resources are reported, a stale exception too", async () => {
  await withDir("bitactor-kube-score-test-", async (dir) => {
    const at = "rollouts/staging/us-east-1/engine";
    await mkdir(join(dir, at), { recursive: true });
    await mkdir(join(dir, "tools"));
    // Planted: a Deployment whose container sets no resources.
    await writeFile(join(dir, at, "deployment-bare.yaml"), `${HEADER}apiVersion: apps/v1
kind: Deployment
metadata:
  name: bare
  namespace: staging-us-east-1
spec:
  replicas: 2
  selector:
    matchLabels: { app: bare }
  template:
    metadata:
      labels: { app: bare }
    spec:
      containers:
        - name: bare
          image: registry.bitactor.internal/bare@sha256:${"2".repeat(64)}
`);
    // Planted: a Rollout whose readiness probe is its liveness probe; kube-score sees it only as a Deployment.
    const probe = "httpGet: { path: /healthz, port: 9090 }";
    await writeFile(join(dir, at, "rollout-engine.yaml"), `${HEADER}apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: engine
  namespace: staging-us-east-1
spec:
  replicas: 2
  selector:
    matchLabels: { app: engine }
  strategy:
    blueGreen: { activeService: engine, autoPromotionEnabled: false }
  template:
    metadata:
      labels: { app: engine }
    spec:
      containers:
        - name: engine
          image: registry.bitactor.internal/engine@sha256:${"1".repeat(64)}
          resources:
            limits: { cpu: "2", memory: 1Gi }
            requests: { cpu: "2", memory: 1Gi }
          readinessProbe: { ${probe} }
          livenessProbe: { ${probe} }
`);
    // Planted: an analysis whose load Job sets no resources, and the NetworkPolicy of its pods, which
    // kube-score would call dangling if it did not see the Job.
    await writeFile(join(dir, at, "analysistemplate-engine-pre-promotion.yaml"), `${HEADER}apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: engine-pre-promotion
  namespace: staging-us-east-1
spec:
  metrics:
    - name: load
      provider:
        job:
          spec:
            backoffLimit: 0
            template:
              metadata:
                labels: { role: analysis-load }
              spec:
                restartPolicy: Never
                containers:
                  - name: load
                    image: registry.bitactor.internal/loadgen@sha256:${"3".repeat(64)}
`);
    await writeFile(join(dir, at, "networkpolicy-engine-load.yaml"), `${HEADER}apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: engine-load
  namespace: staging-us-east-1
spec:
  podSelector:
    matchLabels: { role: analysis-load }
  policyTypes: [Ingress, Egress]
`);
    await writeFile(join(dir, EXCEPTIONS_FILE), `# reviewed
- check: container-image-pull-policy
  objects: ["Deployment/staging-us-east-1/bare", "Rollout/staging-us-east-1/engine", "AnalysisTemplate/staging-us-east-1/engine-pre-promotion"]
  reason: ${REASON}
- check: pod-probes-identical
  objects: Rollout/production-*/engine
  reason: ${REASON}
`);
    const findingsFile = join(dir, "findings.txt");
    const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "scripts", "kube-score.ts"), dir, "--findings", findingsFile], { cwd: ROOT, encoding: "utf8" });
    const out = r.stdout + r.stderr;
    assert.equal(r.status, 1, out);
    assert.match(out, new RegExp(`^${at}/deployment-bare\\.yaml: Deployment/staging-us-east-1/bare: container-resources \\(CRITICAL\\): bare: CPU limit is not set`, "m"));
    assert.match(out, new RegExp(`^${at}/rollout-engine\\.yaml: Rollout/staging-us-east-1/engine \\(scored as a Deployment\\): pod-probes-identical \\(CRITICAL\\): Container has the same readiness and liveness probe$`, "m"));
    // The Rollout's resources are set: its pod template, not an empty one, was scored.
    assert.doesNotMatch(out, /Rollout\/staging-us-east-1\/engine[^\n]*container-resources/);
    assert.match(out, new RegExp(`^${at}/analysistemplate-engine-pre-promotion\\.yaml: AnalysisTemplate/staging-us-east-1/engine-pre-promotion \\(scored as a Job of metric load\\): container-resources \\(CRITICAL\\): load: CPU limit is not set`, "m"));
    // The load pods' NetworkPolicy selects the Job's pods.
    assert.doesNotMatch(out, /NetworkPolicy\/staging-us-east-1\/engine-load/);
    // Reviewed findings are not printed; the stale exception is.
    assert.doesNotMatch(out, /container-image-pull-policy \(CRITICAL\)/);
    assert.match(out, new RegExp(`^${EXCEPTIONS_FILE}: /1: pod-probes-identical on Rollout/production-\\*/engine matches no finding: stale, remove it$`, "m"));
    assert.match(out, /^kube-score v1\.20\.0: 4 files, 4 objects scored \(1 Rollouts as the Deployments they stand for, 1 analysis job metrics as their Jobs\), \d+ findings: 3 reviewed, \d+ unreviewed, 1 stale exception \(/m);
    assert.ok(existsSync(findingsFile));
    assert.match(await readFile(findingsFile, "utf8"), /^## container-resources \(Container Resources\): 2 findings, 0 reviewed$/m);
  });
});
