import { ajv } from "../ajv.ts";
import { ajvModel } from "./crd-models.ts";

/**
 * LitmusChaos' ChaosEngine (litmuschaos.io/v1alpha1), as a closed schema we wrote: Litmus' CRDs are
 * published on no registry this repository can reach (no Go module, no npm package), so the fields
 * come from Litmus' documented 3.x types:
 * - chaos-operator api/litmuschaos/v1alpha1/chaosengine_types.go (3.x, commit 02b92c2b): ChaosEngineSpec,
 *   ExperimentList, ExperimentComponents, ProbeAttributes, PromProbeInputs, RunProperty;
 * - litmus-helm charts/litmus-core/crds/chaosengine_crd.yaml (litmus-core 3.6.0, commit fad667fc): the
 *   patterns (appkind, engineState, jobCleanUpPolicy, probe type and mode) and the required fields;
 * - litmus-docs version-3.0.0 concepts/probes.md: run properties are strings with units ("5s") since
 *   3.0, retry/attempt integers; a promProbe compares as float, its comparator value is a string.
 * Closed (`additionalProperties: false` everywhere): a misspelled field fails the render, where the
 * real CRD (spec preserves unknown fields) would accept and ignore it. Only what the render sets is
 * admitted; widen it from those sources when a construct needs more. Not covered: the httpProbe,
 * cmdProbe, k8sProbe and sloProbe inputs, selectors, sidecars (we use none).
 */

export const LITMUS_API = "litmuschaos.io/v1alpha1";

/** Go durations as Litmus 3.x validates them (chaoscenter graphql utils/misc.go UnitValidationRegex), unit required. */
const duration = { type: "string", pattern: "^[0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h)$" } as const;
const stringMap = { type: "object", additionalProperties: { type: "string" } } as const;
const envVar = {
  type: "object",
  additionalProperties: false,
  required: ["name", "value"],
  properties: { name: { type: "string", pattern: "^[A-Z_][A-Z0-9_]*$" }, value: { type: "string" } },
} as const;

/** A promProbe: the only probe type the render uses. */
const probe = {
  type: "object",
  additionalProperties: false,
  required: ["name", "type", "mode", "runProperties", "promProbe/inputs"],
  properties: {
    name: { type: "string", minLength: 1 },
    type: { const: "promProbe" },
    mode: { enum: ["SOT", "EOT", "Edge", "Continuous", "OnChaos"] },
    "promProbe/inputs": {
      type: "object",
      additionalProperties: false,
      required: ["endpoint", "query", "comparator"],
      properties: {
        endpoint: { type: "string", pattern: "^https?://" },
        query: { type: "string", minLength: 1 },
        comparator: {
          type: "object",
          additionalProperties: false,
          required: ["criteria", "value"],
          // promProbe compares as float; the 3.x CRD declares no comparator type for it.
          properties: { criteria: { enum: [">=", "<=", "==", "!=", ">", "<"] }, value: { type: "string", pattern: "^-?[0-9]+(\\.[0-9]+)?(e-?[0-9]+)?$" } },
        },
      },
    },
    runProperties: {
      type: "object",
      additionalProperties: false,
      required: ["probeTimeout", "interval"],
      properties: {
        probeTimeout: duration,
        interval: duration,
        attempt: { type: "integer", minimum: 1 },
        probePollingInterval: duration,
        initialDelay: duration,
        stopOnFailure: { type: "boolean" },
      },
    },
  },
} as const;

const specSchema = {
  type: "object",
  additionalProperties: false,
  required: ["engineState", "appinfo", "chaosServiceAccount", "experiments"],
  properties: {
    engineState: { enum: ["active", "stop"] },
    appinfo: {
      type: "object",
      additionalProperties: false,
      required: ["appns", "applabel", "appkind"],
      properties: {
        appns: { type: "string", minLength: 1 },
        // A label selector "key=value" of the target pods.
        applabel: { type: "string", pattern: "^[A-Za-z0-9./_-]+=[A-Za-z0-9._-]*$" },
        appkind: { enum: ["deployment", "statefulset", "daemonset", "deploymentconfig", "rollout"] },
      },
    },
    chaosServiceAccount: { type: "string", minLength: 1 },
    jobCleanUpPolicy: { enum: ["delete", "retain"] },
    terminationGracePeriodSeconds: { type: "integer", minimum: 0 },
    components: {
      type: "object",
      additionalProperties: false,
      properties: {
        runner: {
          type: "object",
          additionalProperties: false,
          properties: { image: { type: "string", minLength: 1 }, runnerAnnotations: stringMap, runnerLabels: stringMap },
        },
      },
    },
    experiments: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "spec"],
        properties: {
          name: { enum: ["pod-delete", "pod-network-latency", "pod-cpu-hog", "node-drain"] },
          spec: {
            type: "object",
            additionalProperties: false,
            properties: {
              components: {
                type: "object",
                additionalProperties: false,
                properties: {
                  env: { type: "array", items: envVar },
                  experimentImage: { type: "string", minLength: 1 },
                  experimentAnnotations: stringMap,
                  statusCheckTimeouts: { type: "object", additionalProperties: false, properties: { delay: { type: "integer", minimum: 0 }, timeout: { type: "integer", minimum: 1 } } },
                },
              },
              probe: { type: "array", items: probe },
            },
          },
        },
      },
    },
  },
} as const;

/** The whole object: the same metadata rules as the other CRD kinds we validate ourselves. */
export const chaosEngineSchema = {
  type: "object",
  additionalProperties: false,
  required: ["apiVersion", "kind", "metadata", "spec"],
  properties: {
    apiVersion: { const: LITMUS_API },
    kind: { const: "ChaosEngine" },
    metadata: {
      type: "object",
      additionalProperties: false,
      required: ["name", "namespace"],
      properties: { name: { type: "string", minLength: 1 }, namespace: { type: "string", minLength: 1 }, labels: stringMap, annotations: stringMap },
    },
    spec: specSchema,
  },
} as const;

export const ChaosEngineModel = ajvModel(ajv.compile(chaosEngineSchema));

/** Our closed schema as a structural OpenAPI schema: `additionalProperties: false` dropped (the API server prunes or, with strict field validation, rejects unknown fields), `const` as a one-value enum. */
function structural(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(structural);
  if (typeof s !== "object" || s === null) return s;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === "additionalProperties" && v === false) continue;
    if (k === "const") {
      out.type = "string";
      out.enum = [v];
      continue;
    }
    if (k === "enum" && !("type" in (s as object))) out.type = "string";
    out[k] = k === "properties" ? Object.fromEntries(Object.entries(v as object).map(([p, ps]) => [p, structural(ps)])) : structural(v);
  }
  return out;
}

/**
 * A CustomResourceDefinition made from the closed schema, for the checks only (kubeconform, the API
 * server's dry-run, the e2e clusters, `npm run apply:stage`): never rendered, never installed on a real
 * cluster, where Litmus installs its own CRD. Its status is left open (Litmus writes it).
 */
export function chaosEngineCrd(): { apiVersion: string; kind: string; metadata: { name: string }; spec: unknown } {
  const spec = structural(specSchema) as object;
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "chaosengines.litmuschaos.io" },
    spec: {
      group: "litmuschaos.io",
      names: { kind: "ChaosEngine", listKind: "ChaosEngineList", plural: "chaosengines", singular: "chaosengine" },
      scope: "Namespaced",
      versions: [{
        name: "v1alpha1",
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: { openAPIV3Schema: { type: "object", properties: { spec, status: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } } },
      }],
    },
  };
}
