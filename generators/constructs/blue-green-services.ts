import { ApiObject, JsonPatch } from "cdk8s";
import { Construct } from "constructs";
import { Service, ServiceType } from "../plus.ts";
import type { Component } from "../inputs/types.ts";
import { names } from "../naming.ts";

export interface BlueGreenServicesProps {
  /** Component id; names the Services. */
  readonly componentId: string;
  readonly component: Component;
  /** Pod labels the Rollout's template carries; Argo Rollouts adds the pod-template hash per Service. */
  readonly selector: Readonly<Record<string, string>>;
  /** Labels for the Services' own metadata. */
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The active Service (production traffic) and the preview Service (only the load Job) of a
 * blue/green Rollout. Argo Rollouts rewrites each selector with the `rollouts-pod-template-hash`
 * of the ReplicaSet it should reach, so both start with the same pod labels.
 */
export class BlueGreenServices extends Construct {
  readonly activeName: string;
  readonly previewName: string;

  constructor(scope: Construct, id: string, props: BlueGreenServicesProps) {
    super(scope, id);
    this.activeName = names.activeService(props.componentId);
    this.previewName = names.previewService(props.componentId);
    for (const [cid, name, role] of [["active", this.activeName, "active"], ["preview", this.previewName, "preview"]] as const) {
      const svc = new Service(this, cid, {
        metadata: { name, labels: { ...props.labels, "bitactor.io/service-role": role } },
        type: ServiceType.CLUSTER_IP,
        ports: [
          { name: props.component.servicePort.name, port: props.component.servicePort.port, targetPort: props.component.servicePort.port },
          { name: props.component.metricsPort.name, port: props.component.metricsPort.port, targetPort: props.component.metricsPort.port },
        ],
      });
      for (const [k, v] of Object.entries(props.selector)) svc.selectLabel(k, v);
      // cdk8s-plus always writes `externalIPs: []`: noise in every diff, and not ours to set.
      ApiObject.of(svc).addJsonPatch(JsonPatch.remove("/spec/externalIPs"));
    }
  }
}
