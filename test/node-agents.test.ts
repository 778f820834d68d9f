// The node agents: which stage runs which on which pool (data in engine/machines.yaml), the
// rendered DaemonSets and their namespace, the tuning script (shellcheck, and its one-reboot
// logic run against a fake host), and the platform project that admits them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, mkdir, writeFile, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { committedModel } from "./helpers/repo.ts";
import { requireTool } from "./helpers/tools.ts";
import { renderObjects } from "../generators/render.ts";
import { nodeTuningScript, stageNodeAgents } from "../generators/nodes/node-agents.ts";

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const model = await committedModel();
const objects = renderObjects(model);
const at = (path: string) => objects.find((o) => o.path === path)?.object as Any;
const region = (name: string) => model.environments.flatMap((e) => e.regions).find((r) => r.region === name)!;

test("each cloud's stages run the agents its nodes lack: the device plugin where the cloud brings none, tuning where it has no kernel setting", () => {
  const plan = (name: string) => stageNodeAgents(model.catalog, model.machines, region(name)).map((a) => `${a.agent}/${a.pool}`);
  // AWS: the boot script tunes; the accelerated AMI has no device plugin.
  assert.deepEqual(plan("us-east-1"), ["gpuDevicePlugin/gpu-a100"]);
  // GCP: GKE brings its GPU plugin; no kernel-argument setting, so every engine pool is tuned.
  assert.deepEqual(plan("asia-east2"), ["nodeTuning/bare-metal", "nodeTuning/bare-metal-high-clock", "nodeTuning/gpu-a100", "nodeTuning/network-optimised"]);
  // Azure: both.
  assert.deepEqual(plan("southeastasia"), ["nodeTuning/bare-metal", "nodeTuning/bare-metal-high-clock", "gpuDevicePlugin/gpu-a100", "nodeTuning/gpu-a100", "nodeTuning/network-optimised"]);
  const tuning = stageNodeAgents(model.catalog, model.machines, region("southeastasia")).find((a) => a.pool === "network-optimised")!;
  // The pool's two components' pages together (8Gi + 4Gi), as the AWS boot script reserves them.
  assert.equal(tuning.kernelArguments, "isolcpus=managed_irq,domain,0-7 nohz_full=0-7 rcu_nocbs=0-7 irqaffinity=8-9 default_hugepagesz=2M hugepagesz=2M hugepages=6144");
});

test("the device plugin DaemonSet: pinned image, its pool only, the kubelet's socket directory and nothing else of the host", () => {
  const ds = at("rollouts/production/us-east-1/platform/daemonset-gpu-device-plugin-gpu-a100.yaml");
  const spec = ds.spec.template.spec;
  assert.equal(ds.metadata.namespace, "production-us-east-1-node-agents");
  assert.match(spec.containers[0].image, /^registry\.bitactor\.internal\/mirror\/nvidia\/k8s-device-plugin@sha256:[a-f0-9]{64}$/);
  assert.deepEqual(spec.nodeSelector, { "bitactor.io/node-pool": "gpu-a100", "node.kubernetes.io/instance-type": "p4d.24xlarge" });
  assert.deepEqual(spec.tolerations, [{ key: "bitactor.io/node-pool", operator: "Equal", value: "gpu-a100", effect: "NoSchedule" }]);
  assert.deepEqual(spec.volumes, [{ name: "device-plugins", hostPath: { path: "/var/lib/kubelet/device-plugins", type: "Directory" } }]);
  assert.equal(spec.hostPID, undefined);
  assert.equal(spec.containers[0].securityContext.privileged, undefined);
  assert.deepEqual(spec.containers[0].securityContext.capabilities, { drop: ["ALL"] });
  assert.equal(spec.priorityClassName, "system-node-critical");
  const ns = at("rollouts/production/us-east-1/platform/namespace-production-us-east-1-node-agents.yaml");
  assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "privileged");
  assert.equal(ns.metadata.labels["istio-injection"], "disabled");
  const deny = at("rollouts/production/us-east-1/platform/networkpolicy-default-deny.yaml");
  assert.deepEqual(deny.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  // GCP stages get none: GKE's own plugin serves the GPU.
  assert.equal(objects.some((o) => o.path.startsWith("rollouts/production/asia-east2/") && o.path.includes("gpu-device-plugin")), false);
});

test("the tuning DaemonSet enters the host only from its init container; the pod's long-running container is restricted", () => {
  const ds = at("rollouts/production/southeastasia/platform/daemonset-node-tuning-bare-metal.yaml");
  const spec = ds.spec.template.spec;
  assert.equal(spec.hostPID, true);
  assert.deepEqual(spec.initContainers[0].command.slice(0, 10), ["nsenter", "--target", "1", "--mount", "--uts", "--ipc", "--net", "--pid", "--", "sh"]);
  assert.equal(spec.initContainers[0].securityContext.privileged, true);
  assert.deepEqual(spec.containers[0].securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] }, runAsUser: 65534, runAsGroup: 65534 });
  assert.deepEqual(ds.spec.updateStrategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } });
});

test("the tuning script passes shellcheck as POSIX sh", () => {
  const shellcheck = requireTool("SHELLCHECK", "shellcheck", "install Debian's shellcheck package (npm test does this)");
  const script = nodeTuningScript("isolcpus=managed_irq,domain,0-7 hugepages=8192");
  const sc = spawnSync(shellcheck, ["--shell=sh", "--severity=style", "-"], { input: script, encoding: "utf8" });
  assert.equal(sc.status, 0, `shellcheck:\n${sc.stdout}${sc.stderr}`);
});

/**
 * Runs the tuning script against a fake host: /proc/cmdline, /etc/default/grub.d and the marker
 * directory under a scratch root, update-grub and systemctl as stubs that log their calls.
 */
async function runTuning(cmdline: string, rebootedBefore: boolean) {
  const root = await mkdtemp(join(tmpdir(), "node-tuning-"));
  try {
    await mkdir(join(root, "bin"));
    await mkdir(join(root, "etc/default/grub.d"), { recursive: true });
    await writeFile(join(root, "cmdline"), `${cmdline}\n`);
    for (const tool of ["update-grub", "systemctl"]) await writeFile(join(root, "bin", tool), `#!/bin/sh\necho "${tool} $*" >> "${root}/calls"\n`, { mode: 0o755 });
    // `sleep 600` would wait for a reboot that the stub never does.
    await writeFile(join(root, "bin", "sleep"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    if (rebootedBefore) await mkdir(join(root, "var/lib/bitactor-node-tuning"), { recursive: true }).then(() => writeFile(join(root, "var/lib/bitactor-node-tuning/rebooted"), ""));
    const script = nodeTuningScript("isolcpus=managed_irq,domain,0-7 hugepages=8192")
      .replaceAll("/proc/cmdline", join(root, "cmdline"))
      .replaceAll("/etc/default/grub.d", join(root, "etc/default/grub.d"))
      .replaceAll("/var/lib/bitactor-node-tuning", join(root, "var/lib/bitactor-node-tuning"));
    const r = spawnSync("sh", ["-c", script], { encoding: "utf8", env: { PATH: `${join(root, "bin")}:${process.env.PATH}` } });
    const read = (p: string) => readFile(join(root, p), "utf8").catch(() => undefined);
    return { status: r.status, stderr: r.stderr, calls: await read("calls"), grub: await read("etc/default/grub.d/99-bitactor-node-tuning.cfg"), marker: await read("var/lib/bitactor-node-tuning/rebooted") };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

test("the tuning script reboots once to add missing arguments, passes when they are there, and stops instead of rebooting again", async () => {
  const fresh = await runTuning("BOOT_IMAGE=/vmlinuz ro quiet", false);
  assert.equal(fresh.status, 1, "the init container must not succeed before the reboot");
  assert.equal(fresh.calls, "update-grub \nsystemctl reboot\n");
  assert.equal(fresh.grub, 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT isolcpus=managed_irq,domain,0-7 hugepages=8192"\n');
  assert.equal(fresh.marker, "");
  const tuned = await runTuning("BOOT_IMAGE=/vmlinuz ro isolcpus=managed_irq,domain,0-7 hugepages=8192 quiet", true);
  assert.equal(tuned.status, 0);
  assert.equal(tuned.calls, undefined);
  assert.equal(tuned.marker, undefined, "the marker is cleared once the node runs tuned");
  // Rebooted once and the boot loader still did not take the arguments: fail visibly, never a reboot loop.
  const stuck = await runTuning("BOOT_IMAGE=/vmlinuz ro hugepages=8192", true);
  assert.equal(stuck.status, 1);
  assert.equal(stuck.calls, undefined);
  assert.match(stuck.stderr, /rebooted once and still missing: isolcpus=managed_irq,domain,0-7/);
});

test("the platform project admits the node agents' namespace and kinds", () => {
  const p = at("applicationsets/production/appproject-production-us-east-1-platform.yaml");
  assert.ok(p.spec.destinations.some((d: Any) => d.namespace === "production-us-east-1-node-agents"));
  assert.deepEqual(p.spec.clusterResourceWhitelist.filter((k: Any) => k.kind === "Namespace"), [{ group: "", kind: "Namespace" }]);
  for (const kind of ["DaemonSet", "NetworkPolicy", "ServiceAccount"]) assert.ok(p.spec.namespaceResourceWhitelist.some((k: Any) => k.kind === kind), kind);
});
