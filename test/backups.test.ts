// Disaster recovery: every stage's Velero BackupStorageLocation (its region's bucket,
// prefix = stage) and Schedule (every 15 minutes, the stage namespace only); the cron arithmetic
// behind the input check and the policy rule, against brute force over generated schedules.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { committedModel } from "./helpers/repo.ts";
import { renderObjects } from "../generators/render.ts";
import { maxGapMinutes } from "../generators/backup/cron.ts";

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const model = await committedModel();
const objects = renderObjects(model);

test("every stage: a BackupStorageLocation in its region's bucket under its own prefix, and a 15-minute Schedule of its namespace only", () => {
  const providers: Record<string, string> = { aws: "aws", gcp: "gcp", azure: "azure" };
  for (const env of model.environments) {
    for (const region of env.regions) {
      const stage = `${env.settings.environment}-${region.region}`;
      const dir = `rollouts/${env.settings.environment}/${region.region}/platform`;
      const bsl = objects.find((o) => o.path === `${dir}/backupstoragelocation-${stage}.yaml`)?.object as Any;
      const schedule = objects.find((o) => o.path === `${dir}/schedule-${stage}.yaml`)?.object as Any;
      assert.ok(bsl && schedule, stage);
      assert.equal(bsl.metadata.namespace, "velero");
      assert.deepEqual(bsl.spec, {
        provider: providers[region.cloud],
        objectStorage: { bucket: region.backup.bucket, prefix: stage },
        ...(region.backup.config ? { config: region.backup.config } : {}),
        accessMode: "ReadWrite",
      });
      assert.deepEqual(schedule.spec, {
        schedule: "*/15 * * * *",
        useOwnerReferencesInBackup: false,
        template: { includedNamespaces: [stage], includeClusterResources: false, storageLocation: stage, ttl: "168h", snapshotVolumes: false, defaultVolumesToFsBackup: false },
      });
    }
  }
  // Regions keep their backups in their own region.
  const use1 = objects.find((o) => o.path === "rollouts/production/us-east-1/platform/backupstoragelocation-production-us-east-1.yaml")!.object as Any;
  assert.deepEqual(use1.spec.config, { region: "us-east-1" });
});

test("maxGapMinutes: the longest wait between two runs, against brute force over generated minute fields", () => {
  const brute = (field: string): number | undefined => {
    // Every minute of a day that cron would fire at, by the field's own definition.
    const hits: number[] = [];
    for (let m = 0; m < 60; m++) {
      const ok = field.split(",").some((part) => {
        const [range, step = "1"] = part.split("/");
        const [a, b] = range === "*" ? [0, 59] : range!.includes("-") ? range!.split("-").map(Number) : [Number(range), part.includes("/") ? 59 : Number(range)];
        return m >= a! && m <= b! && (m - a!) % Number(step) === 0;
      });
      if (ok) hits.push(m);
    }
    if (hits.length === 0) return undefined;
    return Math.max(...hits.map((h, i) => (i + 1 < hits.length ? hits[i + 1]! : hits[0]! + 60) - h));
  };
  const part = fc.oneof(
    fc.constant("*"),
    fc.integer({ min: 1, max: 59 }).map((n) => `*/${n}`),
    fc.integer({ min: 0, max: 59 }).map(String),
    fc.tuple(fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 1, max: 30 })).map(([a, b, s]) => `${Math.min(a, b)}-${Math.max(a, b)}/${s}`),
  );
  fc.assert(fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), (parts) => {
    const field = parts.join(",");
    assert.equal(maxGapMinutes(`${field} * * * *`), brute(field), field);
  }), { numRuns: 500 });
  assert.equal(maxGapMinutes("*/15 * * * *"), 15);
  assert.equal(maxGapMinutes("0,15,30,45 * * * *"), 15);
  assert.equal(maxGapMinutes("*/20 * * * *"), 20);
  assert.equal(maxGapMinutes("7 * * * *"), 60);
  assert.equal(maxGapMinutes("*/15 9-17 * * *"), undefined, "skips hours");
  assert.equal(maxGapMinutes("*/15 * * * 1-5"), undefined, "skips weekends");
  assert.equal(maxGapMinutes("@every 15m"), undefined);
});
