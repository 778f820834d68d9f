import type { IJobSpec } from "kubernetes-models/batch/v1/JobSpec";
import type { Catalog, Component } from "./inputs/types.ts";
import { prePromotionJudgedSeconds } from "./gate-math.ts";
import { LOAD_POD_LABELS, names } from "./naming.ts";
import { restrictedContainer, restrictedPod } from "./pod-security.ts";
import { LOGS_ONLY_EPHEMERAL_STORAGE } from "./log-storage.ts";
import { ISTIO } from "./constructs/mesh.ts";

export interface LoadJobProps {
  readonly catalog: Catalog;
  readonly componentId: string;
  readonly component: Component;
  /** In-cluster DNS name of the preview Service. */
  readonly previewHost: string;
}

/** Seconds the load Job sends traffic: warm-up, every judged window, then a tail. */
export function loadDurationSeconds(catalog: Catalog, c: Component): number {
  return prePromotionJudgedSeconds(c) + catalog.loadGenerator.tailSeconds;
}

/**
 * The Job the pre-promotion analysis runs against the preview Service. Open loop: requests leave
 * on a fixed schedule whatever the response time, so a slow engine cannot slow the load down and
 * hide its own latency (coordinated omission).
 */
export function loadJobSpec(p: LoadJobProps): IJobSpec {
  const duration = loadDurationSeconds(p.catalog, p.component);
  return {
    // A failed load run must fail the analysis, not be retried into a different measurement.
    backoffLimit: 0,
    // The Job may never outlive its analysis window by much: 120 s for scheduling and image pull.
    activeDeadlineSeconds: duration + 120,
    template: {
      metadata: {
        labels: LOAD_POD_LABELS(p.componentId),
        // No Istio sidecar: a sidecar never exits, so the Job would never complete (and the load
        // would pass a proxy the production path does not).
        annotations: { [ISTIO.inject]: "false" },
      },
      spec: {
        restartPolicy: "Never",
        // Its own ServiceAccount, bound to nothing and without a token: the load generator never calls the API.
        serviceAccountName: names.loadServiceAccount(p.componentId),
        automountServiceAccountToken: false,
        securityContext: restrictedPod(),
        containers: [
          {
            name: "load",
            image: p.catalog.loadGenerator.image,
            args: [
              `--target=${p.previewHost}:${p.component.servicePort.port}`,
              `--rate=${p.component.prePromotion.ratePerSecond}`,
              `--duration=${duration}s`,
              "--schedule=open-loop",
            ],
            securityContext: restrictedContainer(),
            // Guaranteed QoS with whole cores so the generator itself is not throttled mid-run.
            resources: {
              requests: { cpu: "4", memory: "2Gi", "ephemeral-storage": LOGS_ONLY_EPHEMERAL_STORAGE },
              limits: { cpu: "4", memory: "2Gi", "ephemeral-storage": LOGS_ONLY_EPHEMERAL_STORAGE },
            },
          },
        ],
      },
    },
  };
}
