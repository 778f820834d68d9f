import { Construct } from "constructs";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { Catalog, NodeAgent, RegionSettings, EnvironmentSettings } from "../inputs/types.ts";
import type { MachineCatalog } from "../inputs/machines.ts";
import { emit } from "../argo.ts";
import { LABEL, stageId } from "../naming.ts";
import { ISTIO } from "./mesh.ts";
import { INSTANCE_TYPE_KEY, NODE_POOL_KEY } from "../nodes/labels.ts";
import { instanceTypeOf } from "../nodes/instance-type.ts";
import { NODE_AGENT_LABEL, nodeAgentName, nodeAgentsNamespace, nodeTuningScript, stageNodeAgents, type PoolAgent } from "../nodes/node-agents.ts";
import { restrictedContainer, restrictedPod } from "../pod-security.ts";

export interface NodeAgentsProps {
  readonly catalog: Catalog;
  readonly machines: MachineCatalog;
  readonly environment: EnvironmentSettings;
  readonly region: RegionSettings;
  readonly labels: Readonly<Record<string, string>>;
}

/** The kubelet's device-plugin directory (kubernetes.io/docs/concepts/extend-kubernetes/compute-storage-net/device-plugins). */
const DEVICE_PLUGINS = "/var/lib/kubelet/device-plugins";

/**
 * The stage's node agents (nodes/node-agents.ts says which, on which pools): one DaemonSet per agent
 * and pool, each tolerating exactly its pool's taint, in the namespace `<stage>-node-agents`:
 * Pod Security "privileged" (the agents reach the host, nothing else runs there), outside the mesh
 * (no sidecar on a host agent), and a NetworkPolicy that denies every connection (no agent talks
 * to anything: the device plugin speaks to the kubelet over its host socket). Priority
 * system-node-critical: the last pods a node under pressure evicts, as a node's own services.
 */
export class NodeAgents extends Construct {
  constructor(scope: Construct, id: string, props: NodeAgentsProps) {
    super(scope, id);
    const agents = stageNodeAgents(props.catalog, props.machines, props.region);
    if (agents.length === 0) return;
    const namespace = nodeAgentsNamespace(stageId(props.environment.environment, props.region.region));
    const labels = props.labels;
    emit(this, "namespace", new Namespace({
      metadata: { name: namespace, labels: { ...labels, "pod-security.kubernetes.io/enforce": "privileged", [ISTIO.injectionLabel]: "disabled" } },
    }));
    emit(this, "deny", new NetworkPolicy({ metadata: { name: "default-deny", namespace, labels }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } }));
    for (const a of agents) this.daemonSet(props, namespace, a);
  }

  private daemonSet(props: NodeAgentsProps, namespace: string, a: PoolAgent): void {
    const agent: NodeAgent = props.catalog.nodeAgents[a.agent];
    const name = nodeAgentName(a.agent, a.pool);
    const selector = { [LABEL.name]: name, [LABEL.partOf]: "bitactor" };
    const resources = { cpu: agent.resources.cpu, memory: agent.resources.memory, "ephemeral-storage": agent.resources.ephemeralStorage };
    const labels = { ...props.labels, [LABEL.version]: agent.version };
    emit(this, `${name}-account`, new ServiceAccount({ metadata: { name, namespace, labels }, automountServiceAccountToken: false }));
    const gpu = a.agent === "gpuDevicePlugin";
    // Root without privilege for the device plugin (its socket directory is root's); the tuning agent
    // enters the host's namespaces, which only a privileged container in the host's PID namespace can.
    const asRoot = { ...restrictedContainer(), runAsNonRoot: false, runAsUser: 0 };
    const containers: IContainer[] = gpu
      ? [{
          name: "device-plugin",
          image: agent.image,
          // Keep serving (and report zero GPUs) on a node whose driver is not up yet, instead of a crash loop (NVIDIA's manifest).
          env: [{ name: "FAIL_ON_INIT_ERROR", value: "false" }],
          securityContext: asRoot,
          resources: { requests: resources, limits: resources },
          readinessProbe: { exec: { command: ["test", "-S", `${DEVICE_PLUGINS}/nvidia-gpu.sock`] }, periodSeconds: 10 },
          volumeMounts: [{ name: "device-plugins", mountPath: DEVICE_PLUGINS }],
        }]
      : [{
          // Idles once the init container has the node booted with every argument: the DaemonSet's
          // readiness is the node's tuning.
          name: "idle",
          image: agent.image,
          command: ["sleep", "2147483647"],
          securityContext: { ...restrictedContainer(), runAsUser: 65534, runAsGroup: 65534 },
          resources: { requests: resources, limits: resources },
          readinessProbe: { exec: { command: ["true"] }, periodSeconds: 60 },
        }];
    const initContainers: IContainer[] = gpu ? [] : [{
      name: "tune",
      image: agent.image,
      command: ["nsenter", "--target", "1", "--mount", "--uts", "--ipc", "--net", "--pid", "--", "sh", "-c", nodeTuningScript(a.kernelArguments!)],
      securityContext: { privileged: true, runAsUser: 0, runAsNonRoot: false, readOnlyRootFilesystem: true },
      resources: { requests: resources, limits: resources },
    }];
    emit(this, name, new DaemonSet({
      metadata: { name, namespace, labels },
      spec: {
        selector: { matchLabels: selector },
        // One node at a time: a tuning rollout reboots the nodes it reaches.
        updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
        template: {
          metadata: { labels: { ...selector, [LABEL.version]: agent.version, [NODE_AGENT_LABEL]: a.agent } },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: false,
            priorityClassName: "system-node-critical",
            nodeSelector: { [NODE_POOL_KEY]: a.pool, [INSTANCE_TYPE_KEY]: instanceTypeOf(props.catalog, props.region, a.pool) },
            tolerations: [{ key: NODE_POOL_KEY, operator: "Equal", value: a.pool, effect: "NoSchedule" }],
            ...(agent.host.privileged ? { hostPID: true } : {}),
            securityContext: { ...restrictedPod(), ...(agent.host.runAsRoot ? { runAsNonRoot: false, runAsUser: 0, runAsGroup: 0, fsGroup: 0 } : {}) },
            ...(initContainers.length ? { initContainers } : {}),
            containers,
            ...(gpu ? { volumes: [{ name: "device-plugins", hostPath: { path: DEVICE_PLUGINS, type: "Directory" } }] } : {}),
          },
        },
      },
    }));
  }
}
