// The BitActorCluster CRD: its spec schema is generated from regionSchema, the schema the
// render validates environments/<env>/regions/*.yaml with. Proven by running both: ajv on the input
// schema and a real kube-apiserver (v1.36, strict field validation) with the rendered CRD installed
// must give the same verdict on every committed region file and on hundreds of mutated ones.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Ajv } from "ajv";
import { committedModel } from "./helpers/repo.ts";
import { renderObjects } from "../generators/render.ts";
import { clusterSpecSchema, regionSchema } from "../generators/inputs/schemas.ts";
import { clusterTargets, orderFlow } from "../generators/cluster-targets.ts";
import { toStructural } from "../generators/crd/structural.ts";
import { BITACTOR_CLUSTER } from "../generators/constructs/bitactor-cluster.ts";
import { startControlPlane, type ControlPlane } from "../harness/cluster/control-plane.ts";
import { STRICT_DRY_RUN, installCrds } from "../harness/cluster/dry-run.ts";
import { statusMessage } from "../harness/cluster/client.ts";

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const model = await committedModel();
const objects = renderObjects(model);
const crds = objects.filter((o) => o.object.kind === "CustomResourceDefinition");
const ajvCheck = new Ajv({ allErrors: true, strict: true }).compile({ ...regionSchema, $id: undefined });

test("every stage renders the same CRD and one BitActorCluster named after it whose spec is its region file (credentials left out) and the operator's targets", () => {
  assert.equal(crds.length, 7);
  for (const c of crds) assert.deepEqual((c.object as Any).spec, (crds[0]!.object as Any).spec, c.path);
  for (const env of model.environments) {
    for (const region of env.regions) {
      const stage = `${env.settings.environment}-${region.region}`;
      const cr = objects.find((o) => o.path === `rollouts/${env.settings.environment}/${region.region}/platform/bitactorcluster-${stage}.yaml`)?.object as Any;
      assert.ok(cr, stage);
      assert.equal(cr.apiVersion, "bitactor.io/v1alpha1");
      assert.equal(cr.metadata.namespace, undefined, "cluster-scoped");
      assert.equal(cr.metadata.annotations["argocd.argoproj.io/sync-options"], "SkipDryRunOnMissingResource=true");
      const { secrets: _s, grafana: { admin: _a, ...grafana }, ...rest } = region;
      const expected = { ...rest, grafana };
      const { targets, orderFlow: flow, ...regionPart } = cr.spec;
      assert.deepEqual(regionPart, JSON.parse(JSON.stringify(expected)));
      assert.deepEqual(Object.keys(targets), Object.keys(region.components).sort(), `${stage}: a target per component it runs`);
      assert.deepEqual(targets, JSON.parse(JSON.stringify(clusterTargets(model.catalog, env.settings, region))));
      assert.deepEqual(flow, JSON.parse(JSON.stringify(orderFlow(model.catalog, env.settings, region))));
      assert.equal(flow.closeGraceSeconds, env.settings.operator.orderFlowCloseGraceSeconds);
    }
  }
  const crd = crds[0]!.object as Any;
  assert.equal(crd.spec.scope, "Cluster");
  assert.deepEqual(crd.spec.versions[0].schema.openAPIV3Schema.properties.spec, toStructural(clusterSpecSchema));
  const { targets: _t, orderFlow: _o, ...regionProperties } = (toStructural(clusterSpecSchema) as Any).properties;
  // Grafana's sealed login stays in its SealedSecret: the cluster object carries only the address.
  const { admin, ...grafanaProperties } = (toStructural(regionSchema) as Any).properties.grafana.properties;
  assert.ok(admin, "the region file may hold a sealed Grafana login");
  assert.deepEqual(regionProperties, { ...(toStructural(regionSchema) as Any).properties, grafana: { ...(toStructural(regionSchema) as Any).properties.grafana, properties: grafanaProperties } }, "the region part is the region schema, Grafana's login left out");
  assert.deepEqual(crd.spec.versions[0].subresources, { status: {} }, "the operator writes status through its subresource");
});

test("the converter refuses keywords it cannot carry over, so the two schemas cannot drift silently", () => {
  assert.throws(() => toStructural({ type: "object", properties: { a: { type: "string", format: "email" } } }), /#\/properties\/a: keyword "format" has no structural equivalent/);
  assert.throws(() => toStructural({ type: "array", uniqueItems: true, items: { type: "object" } }), /uniqueItems on an array of objects/);
  assert.throws(() => toStructural({ enum: ["a", 1] }), /an enum of mixed types/);
  assert.throws(() => toStructural({ properties: {} }), /needs a type on every node/);
  assert.deepEqual(toStructural({ type: "number", exclusiveMinimum: 0.5 }), { type: "number", minimum: 0.5, exclusiveMinimum: true });
  assert.deepEqual(toStructural({ type: "object", propertyNames: { type: "string", pattern: "^a'b$" }, additionalProperties: { type: "integer" } }), {
    type: "object",
    additionalProperties: { type: "integer" },
    "x-kubernetes-validations": [{ rule: "self.all(k, k.matches('^a\\'b$'))", message: "every key must match ^a'b$" }],
  });
});

describe("ajv and the API server agree", () => {
  let cp: ControlPlane;
  before(async () => {
    cp = await startControlPlane();
    await installCrds(cp.client, [{ file: crds[0]!.path, object: crds[0]!.object as Any }]);
  });
  after(async () => {
    await cp?.stop();
  });

  const server = async (spec: unknown): Promise<{ ok: boolean; message: string }> => {
    const body = { apiVersion: BITACTOR_CLUSTER.apiVersion, kind: BITACTOR_CLUSTER.kind, metadata: { name: "probe" }, spec };
    const r = await cp.client.request("POST", `/apis/${BITACTOR_CLUSTER.apiVersion}/${BITACTOR_CLUSTER.plural}?${STRICT_DRY_RUN}`, body);
    return { ok: r.status >= 200 && r.status < 300, message: r.status >= 200 && r.status < 300 ? "" : statusMessage(r) };
  };

  const regions = model.environments.flatMap((e) => e.regions.map((r) => { const { secrets: _s, ...rest } = r; return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>; }));

  test("every committed region file is accepted by both", async () => {
    for (const r of regions) {
      assert.equal(ajvCheck(r), true, JSON.stringify(ajvCheck.errors));
      assert.deepEqual(await server(r), { ok: true, message: "" });
    }
  });

  test("on 1000 mutated region files (a key removed, renamed or misspelled, a value replaced) both give the same verdict", async (t) => {
    // Paths to every value in a region file, so a mutation can hit any depth.
    const paths = (x: unknown, at: (string | number)[] = []): (string | number)[][] =>
      Array.isArray(x) ? x.flatMap((v, i) => [[...at, i], ...paths(v, [...at, i])]) : x && typeof x === "object" ? Object.entries(x).flatMap(([k, v]) => [[...at, k], ...paths(v, [...at, k])]) : [];
    // Values of every JSON type, valid and invalid for some field. No null: the API server drops a
    // null optional field before validating (the render never emits one: inputs refuse null).
    const values = fc.oneof(
      fc.constantFrom("", "aws", "oracle", "us-east-1a", "US-EAST-1A", "10.0.0.0/8", "10.0.0.0/33", "sha256:" + "a".repeat(64), "4.12.0", "4.12", "https://x.example", "http://x.example", "al2023@v20261112", "al2023@latest", "tempo:4317", "NYSE", "nyse"),
      fc.integer({ min: -2, max: 70000 }),
      fc.constantFrom(0.5, 3.0, 1e9),
      fc.boolean(),
      fc.constantFrom([], ["us-east-1a", "us-east-1a", "us-east-1b"], ["a", "b", "c"], [1, 2], {}, { x: 1 }, { "Bad_Key": { version: "1.0.0", digest: "sha256:" + "a".repeat(64), replicas: 1 } }),
    );
    const mutation = fc.record({
      region: fc.nat({ max: regions.length - 1 }),
      pick: fc.nat(),
      kind: fc.constantFrom("delete", "rename", "misspell", "replace", "add"),
      value: values,
    });
    let disagreements = 0;
    const verdicts = { accepted: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const doc = structuredClone(regions[m.region]!) as Any;
        const all = paths(doc);
        const path = all[m.pick % all.length]!;
        const parent = path.slice(0, -1).reduce((o: Any, k) => o[k], doc);
        const key = path.at(-1)!;
        if (m.kind === "delete") Array.isArray(parent) ? parent.splice(Number(key), 1) : delete parent[key];
        else if (m.kind === "rename" && !Array.isArray(parent)) { parent[`${String(key)}x`] = parent[key]; delete parent[key]; }
        else if (m.kind === "misspell" && !Array.isArray(parent)) { parent[String(key).toUpperCase()] = parent[key]; delete parent[key]; }
        else if (m.kind === "add" && !Array.isArray(parent)) parent.extraField = m.value;
        else parent[key] = m.value;
        const a = ajvCheck(doc);
        const s = await server(doc);
        verdicts[a ? "accepted" : "rejected"]++;
        if (a !== s.ok) disagreements++;
        assert.equal(s.ok, a, `ajv ${a ? "accepts" : `rejects (${JSON.stringify(ajvCheck.errors?.[0])})`}, the API server ${s.ok ? "accepts" : `rejects: ${s.message}`}\nmutation: ${m.kind} ${path.join("/")} = ${JSON.stringify(m.value)}`);
      }),
      { numRuns: 1000 },
    );
    assert.equal(disagreements, 0);
    t.diagnostic(`verdicts: ${verdicts.accepted} accepted and ${verdicts.rejected} rejected by both`);
    // The generated cases hit both verdicts (the property is not vacuous).
    // About 5 % of mutations keep a file valid (an optional key removed, a value swapped for a valid one).
    assert.ok(verdicts.accepted >= 20 && verdicts.rejected >= 500, JSON.stringify(verdicts));
  });
});

test("Argo CD applies the CRD a wave before the BitActorCluster, so the resource never races its kind", () => {
  const wave = (o: { metadata: { annotations?: Record<string, string> } }) => Number(o.metadata.annotations?.["argocd.argoproj.io/sync-wave"] ?? "0");
  const resources = objects.filter((o) => o.object.kind === BITACTOR_CLUSTER.kind);
  assert.equal(crds.length, resources.length);
  for (const r of resources) {
    const crd = crds.find((c) => c.path.startsWith(r.path.replace(/[^/]+$/, "")))!;
    assert.ok(wave(crd.object as never) < wave(r.object as never), `${crd.path} must sync before ${r.path}`);
  }
});
