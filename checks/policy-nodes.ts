import { parse } from "yaml";
import type { Cloud, RegionSettings, RepositoryModel } from "../generators/inputs/types.ts";
import { instanceTypeOf } from "../generators/nodes/instance-type.ts";
import { byStage, stageFit, systemBringUp } from "../generators/nodes/stage-fit.ts";
import { describeMisfit } from "../generators/nodes/fit.ts";
import { LABEL } from "../generators/naming.ts";
import { CAPACITY_TYPE_KEY, INSTANCE_TYPE_KEY, NODE_POOL_KEY } from "../generators/nodes/labels.ts";
import { hugepages2Mi } from "../generators/nodes/al2023-user-data.ts";
import { MULTUS } from "../generators/constructs/accelerated-networks.ts";
import { ON_DEMAND_ONLY_ENVIRONMENT, usesKarpenter } from "../generators/nodes/provisioners.ts";
import { describeObject as who, isObject, podTemplates, type Json, type PolicyObject, type Violation } from "./policy-objects.ts";

/** Rules on the engine's nodes and how pods reach them (docs/nodes.md); part of `npm run policy`. */
export const NODE_RULES = {
  "node-pool-instance-type": "every NodePool is a catalog pool and requires exactly that pool's instance type on its cloud (engine/catalog.yaml nodePools)",
  "on-demand-in-production": `NodePools of ${ON_DEMAND_ONLY_ENVIRONMENT} require capacity type on-demand and nothing else: spot only outside production`,
  "node-pool-taint": "every NodePool labels its nodes with its pool and taints them NoSchedule with it, so only the pool's components land there",
  "pool-toleration": "a pod tolerates exactly the taint of the pool its nodeSelector selects, selects that pool's instance type, and has no blanket toleration",
  "pool-provided": "where the render owns the nodes (Karpenter), every pool a pod selects has a NodePool in the same stage",
  "accelerated-network": "a pod attaches an SR-IOV network (Multus) only if the catalog lists it for its component, its NetworkAttachmentDefinition exists beside it, and it requests exactly one VF of that network's resource (requests = limits); no VF is requested without being attached",
  "fits-node": "every pod template (both blue/green stacks, Deployments, DaemonSets, Jobs, CronJobs, analysis Jobs) fits every node type it can land on: its requests, the mesh proxy injected beside it and the node's DaemonSets within the allocatable of the machine (engine/machines.yaml), CPU, memory, hugepages, GPUs, VFs and pods counted; and it can land on at least one; and a stage's system nodes hold every Deployment replica and first-release load Job at once",
  "node-tuning": "every EC2NodeClass's user data applies engine/catalog.yaml nodeTuning (kubelet CPU and topology manager, reserved CPUs; isolated CPUs, MTU) and reserves the hugepages its pool's pods request together",
} as const;

type NodeRule = keyof typeof NODE_RULES;

const requirement = (spec: Json, key: string): string[] | undefined => {
  const reqs = ((((spec.template as Json | undefined)?.spec as Json | undefined)?.requirements ?? []) as Json[]);
  const r = reqs.find((x) => x.key === key && x.operator === "In");
  return r ? ((r.values ?? []) as string[]) : undefined;
};

/** The parts of MIME multipart user data, by content type. */
export function userDataParts(text: string): Map<string, string> {
  const parts = new Map<string, string>();
  const boundary = /boundary="([^"]+)"/.exec(text)?.[1];
  if (!boundary) return parts;
  for (const chunk of text.split(`--${boundary}`).slice(1)) {
    const blank = chunk.indexOf("\n\n");
    if (blank < 0) continue;
    const type = /Content-Type:\s*([^;\s]+)/i.exec(chunk.slice(0, blank))?.[1];
    if (type) parts.set(type, chunk.slice(blank + 2));
  }
  return parts;
}

export function checkNodePolicies(objects: readonly PolicyObject[], model: RepositoryModel): Violation[] {
  const catalog = model.catalog;
  const out: Violation[] = [];
  const regionOf = (o: PolicyObject["object"]): RegionSettings | undefined =>
    model.environments.find((e) => e.settings.environment === o.metadata.labels?.[LABEL.environment])?.regions.find((r) => r.region === o.metadata.labels?.[LABEL.region]);
  // The machine a pool runs on in the object's stage: the region's own choice or the catalog's.
  const machineOf = (o: PolicyObject["object"], pool: string, cloud: Cloud | undefined): string | undefined => {
    const region = regionOf(o);
    return region ? instanceTypeOf(catalog, region, pool) : cloud ? catalog.nodePools[pool]?.instanceTypes[cloud] : undefined;
  };
  const stageOf = (o: PolicyObject["object"]) => `${o.metadata.labels?.[LABEL.environment]}/${o.metadata.labels?.[LABEL.region]}`;
  const nodePools = objects.filter((o) => o.object.kind === "NodePool");
  const nodeClasses = objects.filter((o) => o.object.kind === "EC2NodeClass");
  const t = catalog.nodeTuning;

  // Pods by stage and pool, for the tolerations and the hugepages a node must hold.
  const podsByPool = new Map<string, { hugepages: string }[]>();
  for (const { path, object: o } of objects) {
    const v = (rule: NodeRule, field: string, message: string) => out.push({ path, object: who(o), field, rule, message });
    for (const tpl of podTemplates(o)) {
      const spec = tpl.spec ?? {};
      const pool = ((spec.nodeSelector ?? {}) as Record<string, string>)[NODE_POOL_KEY];
      const tolerations = (spec.tolerations ?? []) as Json[];
      tolerations.forEach((tol, i) => {
        if (tol.key === undefined && tol.operator === "Exists") v("pool-toleration", `${tpl.at}/spec/tolerations/${i}`, "tolerates every taint: it could land on any engine node");
        else if (tol.key === NODE_POOL_KEY && (tol.operator !== "Equal" || tol.value !== pool)) {
          v("pool-toleration", `${tpl.at}/spec/tolerations/${i}`, `tolerates pool ${tol.operator === "Exists" ? "(any)" : String(tol.value)} but selects ${pool ?? "no pool"}`);
        }
      });
      const nets = String(tpl.annotations?.[MULTUS.networks] ?? "").split(",").map((x) => x.trim()).filter(Boolean);
      const component = catalog.components[tpl.labels[LABEL.name] ?? ""];
      const requested = (((spec.containers ?? []) as Json[]).map((c) => (c.resources ?? {}) as { requests?: Record<string, string>; limits?: Record<string, string> }));
      const count = (resource: string, kind: "requests" | "limits") => requested.reduce((n, r) => n + Number(r[kind]?.[resource] ?? 0), 0);
      for (const net of nets) {
        const at = `${tpl.at}/metadata/annotations/${MULTUS.networks.replace(/\//g, "~1")}`;
        if (!(component?.acceleratedNetworks ?? []).includes(net)) v("accelerated-network", at, `attaches ${net}, which engine/catalog.yaml does not list for ${tpl.labels[LABEL.name] ?? "this pod"}`);
        const nad = objects.find((x) => x.object.kind === "NetworkAttachmentDefinition" && x.object.metadata.name === net && x.object.metadata.namespace === o.metadata.namespace);
        const resource = (nad?.object.metadata as { annotations?: Record<string, string> } | undefined)?.annotations?.[MULTUS.resourceName];
        if (!nad || !resource) v("accelerated-network", at, `no NetworkAttachmentDefinition ${net} with a ${MULTUS.resourceName} annotation in ${o.metadata.namespace}`);
        else if (count(resource, "requests") !== 1 || count(resource, "limits") !== 1) v("accelerated-network", `${tpl.at}/spec/containers`, `attaches ${net} but requests ${count(resource, "requests")} and limits ${count(resource, "limits")} of ${resource}; exactly 1 each`);
      }
      for (const [id, n] of Object.entries(catalog.acceleratedNetworks)) {
        if (!nets.includes(id) && (count(n.resourceName, "requests") > 0 || count(n.resourceName, "limits") > 0)) v("accelerated-network", `${tpl.at}/spec/containers`, `requests ${n.resourceName} but does not attach ${id} (${MULTUS.networks}): the VF would sit unused`);
      }
      if (pool === undefined) continue;
      const def = catalog.nodePools[pool];
      if (!tolerations.some((tol) => tol.key === NODE_POOL_KEY && tol.operator === "Equal" && tol.value === pool && tol.effect === "NoSchedule")) {
        v("pool-toleration", `${tpl.at}/spec/tolerations`, `selects pool ${pool} but does not tolerate its taint ${NODE_POOL_KEY}=${pool}:NoSchedule`);
      }
      const cloud = o.metadata.labels?.[LABEL.cloud] as Cloud | undefined;
      const wanted = def ? machineOf(o, pool, cloud) : undefined;
      const selected = ((spec.nodeSelector ?? {}) as Record<string, string>)[INSTANCE_TYPE_KEY];
      if (!def) v("pool-toleration", `${tpl.at}/spec/nodeSelector`, `pool ${pool} is not in engine/catalog.yaml nodePools`);
      else if (selected !== wanted) v("pool-toleration", `${tpl.at}/spec/nodeSelector/${INSTANCE_TYPE_KEY.replace(/\//g, "~1")}`, `selects ${selected ?? "no instance type"}; pool ${pool} on ${cloud} is ${wanted}`);
      if (cloud && usesKarpenter(cloud) && !nodePools.some((np) => np.object.metadata.name === pool && stageOf(np.object) === stageOf(o))) {
        v("pool-provided", `${tpl.at}/spec/nodeSelector`, `no NodePool ${pool} in ${stageOf(o)}: the pods would stay Pending`);
      }
      const requests = ((((spec.containers ?? []) as Json[]).map((c) => ((c.resources as Json | undefined)?.requests ?? {}) as Json)));
      const key = `${stageOf(o)}/${pool}`;
      const list = podsByPool.get(key) ?? [];
      for (const r of requests) if (typeof r["hugepages-2Mi"] === "string") list.push({ hugepages: r["hugepages-2Mi"] });
      podsByPool.set(key, list);
    }
  }

  for (const { path, object: o } of nodePools) {
    const v = (rule: NodeRule, field: string, message: string) => out.push({ path, object: who(o), field, rule, message });
    const spec = (o.spec ?? {}) as Json;
    const pool = catalog.nodePools[o.metadata.name];
    const cloud = o.metadata.labels?.[LABEL.cloud] as Cloud | undefined;
    const types = requirement(spec, INSTANCE_TYPE_KEY);
    if (!pool) v("node-pool-instance-type", "/metadata/name", `${o.metadata.name} is not a pool in engine/catalog.yaml nodePools (${Object.keys(catalog.nodePools).join(", ")})`);
    else if (!cloud || types?.length !== 1 || types[0] !== machineOf(o, o.metadata.name, cloud)) {
      v("node-pool-instance-type", "/spec/template/spec/requirements", `requires instance types [${(types ?? []).join(", ")}]; pool ${o.metadata.name} on ${cloud} is exactly [${machineOf(o, o.metadata.name, cloud) ?? "?"}]`);
    }
    const capacity = requirement(spec, CAPACITY_TYPE_KEY);
    if (o.metadata.labels?.[LABEL.environment] === ON_DEMAND_ONLY_ENVIRONMENT && (capacity?.length !== 1 || capacity[0] !== "on-demand")) {
      v("on-demand-in-production", "/spec/template/spec/requirements", `capacity types [${(capacity ?? ["(not required: Karpenter's default)"]).join(", ")}]; ${ON_DEMAND_ONLY_ENVIRONMENT} needs exactly [on-demand]`);
    }
    const tpl = (spec.template ?? {}) as Json;
    const taints = (((tpl.spec as Json | undefined)?.taints ?? []) as Json[]);
    if (!taints.some((x) => x.key === NODE_POOL_KEY && x.value === o.metadata.name && x.effect === "NoSchedule")) {
      v("node-pool-taint", "/spec/template/spec/taints", `needs the taint ${NODE_POOL_KEY}=${o.metadata.name}:NoSchedule`);
    }
    if ((((tpl.metadata as Json | undefined)?.labels ?? {}) as Json)[NODE_POOL_KEY] !== o.metadata.name) {
      v("node-pool-taint", "/spec/template/metadata/labels", `needs the label ${NODE_POOL_KEY}: ${o.metadata.name} (the pods select it)`);
    }
  }

  for (const { path, object: o } of nodeClasses) {
    const v = (field: string, message: string) => out.push({ path, object: who(o), field, rule: "node-tuning", message });
    const parts = userDataParts(String((o.spec as Json | undefined)?.userData ?? ""));
    const nodeConfig = parts.get("application/node.eks.aws");
    const script = parts.get("text/x-shellscript") ?? "";
    let kubelet: Json = {};
    try {
      const cfg = parse(nodeConfig ?? "") as Json | null;
      kubelet = ((((cfg?.spec as Json | undefined)?.kubelet as Json | undefined)?.config ?? {}) as Json);
    } catch {
      v("/spec/userData", "the NodeConfig part is not YAML");
    }
    if (!nodeConfig) v("/spec/userData", "no NodeConfig part (Content-Type: application/node.eks.aws)");
    const want = { cpuManagerPolicy: t.cpuManagerPolicy, topologyManagerPolicy: t.topologyManagerPolicy, topologyManagerScope: t.topologyManagerScope, reservedSystemCPUs: t.reservedSystemCpus };
    for (const [k, value] of Object.entries(want)) {
      if (!isObject(kubelet) || String(kubelet[k]) !== value) v(`/spec/userData`, `NodeConfig kubelet.config.${k} is ${JSON.stringify(kubelet[k])}; engine/catalog.yaml nodeTuning says ${value}`);
    }
    if (!script.includes(`isolcpus=managed_irq,domain,${t.isolatedCpus} `) || !script.includes(`nohz_full=${t.isolatedCpus} `)) v("/spec/userData", `the boot script does not isolate CPUs ${t.isolatedCpus} (isolcpus, nohz_full)`);
    if (!script.includes(`mtu ${t.mtu}`)) v("/spec/userData", `the boot script does not set MTU ${t.mtu}`);
    const reserved = Number(/hugepages=([0-9]+)/.exec(script)?.[1] ?? 0);
    const needed = hugepages2Mi((podsByPool.get(`${stageOf(o)}/${o.metadata.name}`) ?? []).map((p) => p.hugepages));
    if (reserved < needed) v("/spec/userData", `reserves ${reserved} hugepages of 2 MiB; the pool's pods request ${needed} together`);
  }
  // The fit: every stage's pod templates against its node types (generators/nodes/fit.ts).
  for (const [key, stageObjects] of byStage(objects)) {
    const [environment, region] = key.split("/") as [string, string];
    for (const m of stageFit(model, environment, region, stageObjects)) {
      out.push({ path: m.path, object: `${m.object.kind} ${m.object.namespace ?? ""}/${m.object.name}`.replace(" /", " "), field: m.at, rule: "fits-node", message: `${describeMisfit(m)} (${environment}/${region}: environments/${environment}/regions/${region}.yaml)` });
    }
    const bringUp = systemBringUp(model, environment, region, stageObjects);
    if (bringUp) out.push({ path: stageObjects[0]!.path, object: `stage ${environment}/${region}`, field: "", rule: "fits-node", message: bringUp.message });
  }
  return out;
}
