// npm run dr-drill -- <stage>               run the stage's restore drill now and wait for its verdict
// npm run dr-drill -- --verify [<stage> ...] the last drill of every stage (or those named) passed, within 35 days
// npm run dr-drill -- --matrix              the stages that drill, as JSON (.github/workflows/dr-drill.yml)
//
// The drill itself is the rendered CronJob in Velero's namespace (generators/constructs/dr-drill.ts);
// this command starts a Job from it (kubectl create job --from=cronjob, as the README's runbook
// does by hand), waits for it, prints its log and exits with its outcome. --verify is the check
// from outside the cluster that the monthly drills happen and pass: the newest finished Job of each
// stage's CronJob (the CronJob keeps its last three of each outcome) succeeded, less than 35 days
// ago. kubectl is the user's (KUBECTL names another binary), in the context named after the stage's
// cluster (cluster.name in its region file), as promote and status use it.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parse } from "yaml";
import { main } from "./lib/run.ts";
import { readInputs } from "../lib/inputs.ts";
import { kubectl } from "./lib/live.ts";
import { loadRepository } from "../generators/inputs/load.ts";
import { stageId } from "../generators/naming.ts";
import { DRILL_STALE_DAYS, drillNames } from "../generators/constructs/dr-drill.ts";

interface DrillStage {
  readonly id: string;
  readonly environment: string;
  readonly region: string;
  readonly context: string;
  readonly namespace: string;
}

interface JobJson {
  metadata: { name: string; ownerReferences?: { kind: string; name: string }[] };
  status?: { startTime?: string; completionTime?: string; succeeded?: number; failed?: number; conditions?: { type: string; status: string; lastTransitionTime?: string; message?: string }[] };
}

/** Complete or Failed, with when, from a Job's conditions (batch/v1: a finished Job has one of them True). */
function outcome(job: JobJson): { readonly result: "passed" | "failed"; readonly at: string } | undefined {
  const c = job.status?.conditions?.find((x) => (x.type === "Complete" || x.type === "Failed") && x.status === "True");
  if (!c) return undefined;
  return { result: c.type === "Complete" ? "passed" : "failed", at: c.lastTransitionTime ?? job.status?.completionTime ?? job.status?.startTime ?? "" };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stamp = (d: Date) => d.toISOString().replace(/[-:T]/g, "").slice(0, 14);

await main(async () => {
  const { values, positionals } = parseArgs({
    options: { verify: { type: "boolean" }, matrix: { type: "boolean" }, "poll-seconds": { type: "string", default: "5" } },
    allowPositionals: true,
    strict: true,
  });
  const root = process.cwd();
  const model = loadRepository(await readInputs(root));
  const stages: DrillStage[] = model.environments.flatMap((e) =>
    e.settings.backup.drill
      ? e.regions.map((r) => ({ id: stageId(e.settings.environment, r.region), environment: e.settings.environment, region: r.region, context: r.cluster.name, namespace: e.settings.backup.namespace }))
      : [],
  ).sort((a, b) => a.id.localeCompare(b.id));
  const ids = stages.map((s) => s.id);
  const pick = (id: string) => {
    const s = stages.find((x) => x.id === id);
    if (!s) throw new Error(`no stage "${id}" drills (stages with backup.drill in their environment.yaml: ${ids.join(", ") || "none"})`);
    return s;
  };

  if (values.matrix) {
    console.log(JSON.stringify({ stage: ids }));
    return 0;
  }

  if (values.verify) {
    const chosen = positionals.length ? positionals.map(pick) : stages;
    const now = Date.now();
    let bad = 0;
    for (const s of chosen) {
      const cron = drillNames.job(s.id);
      let line: string;
      try {
        const jobs = (JSON.parse(kubectl(s.context, ["-n", s.namespace, "get", "jobs.batch", "-o", "json"])) as { items: JobJson[] }).items
          .filter((j) => j.metadata.ownerReferences?.some((o) => o.kind === "CronJob" && o.name === cron))
          .map((j) => ({ job: j, done: outcome(j) }))
          .filter((x): x is { job: JobJson; done: NonNullable<ReturnType<typeof outcome>> } => x.done !== undefined)
          .sort((a, b) => a.done.at.localeCompare(b.done.at));
        const last = jobs.at(-1);
        const days = last ? (now - Date.parse(last.done.at)) / 86_400_000 : Infinity;
        if (!last) line = `FAIL  no finished drill Job of ${s.namespace}/${cron} (run one: npm run dr-drill -- ${s.id})`;
        else if (last.done.result === "failed") line = `FAIL  last drill ${last.job.metadata.name} failed at ${last.done.at}: kubectl --context ${s.context} logs -n ${s.namespace} job/${last.job.metadata.name}`;
        else if (days > DRILL_STALE_DAYS) line = `FAIL  last drill ${last.job.metadata.name} passed at ${last.done.at}, ${Math.floor(days)} days ago (at most ${DRILL_STALE_DAYS})`;
        else line = `ok    last drill ${last.job.metadata.name} passed at ${last.done.at}, ${Math.floor(days)} days ago`;
      } catch (e) {
        line = `FAIL  ${(e as Error).message}`;
      }
      if (line.startsWith("FAIL")) bad++;
      console.log(`${s.id.padEnd(28)}${line}`);
    }
    console.log(`${chosen.length - bad} of ${chosen.length} stages drilled and passed within ${DRILL_STALE_DAYS} days`);
    return bad ? 1 : 0;
  }

  if (positionals.length !== 1) throw new Error(`usage: npm run dr-drill -- <stage> | --verify [<stage> ...] | --matrix; stages: ${ids.join(", ")}`);
  const s = pick(positionals[0]!);
  const cron = drillNames.job(s.id);
  // The rendered CronJob is the drill: its deadline bounds the wait.
  const file = join(root, "rollouts", s.environment, s.region, "platform", `cronjob-${cron}.yaml`);
  const rendered = parse(await readFile(file, "utf8").catch(() => { throw new Error(`${file} is not rendered: run npm run render`); })) as { spec: { jobTemplate: { spec: { activeDeadlineSeconds: number } } } };
  const deadline = Date.now() + (rendered.spec.jobTemplate.spec.activeDeadlineSeconds + 120) * 1000;
  const name = `${cron}-${stamp(new Date())}`;
  kubectl(s.context, ["-n", s.namespace, "create", "job", name, `--from=cronjob/${cron}`]);
  console.log(`${s.id}: started job ${s.namespace}/${name} from cronjob/${cron} on ${s.context}`);
  let done: ReturnType<typeof outcome>;
  for (;;) {
    done = outcome(JSON.parse(kubectl(s.context, ["-n", s.namespace, "get", "job", name, "-o", "json"])) as JobJson);
    if (done) break;
    if (Date.now() > deadline) throw new Error(`${s.namespace}/${name} has not finished within its deadline; see kubectl --context ${s.context} -n ${s.namespace} describe job ${name}`);
    await sleep(Number(values["poll-seconds"]) * 1000);
  }
  process.stdout.write(kubectl(s.context, ["-n", s.namespace, "logs", `job/${name}`]));
  console.log(`${s.id}: drill ${done.result} (${s.namespace}/${name}, ${done.at})`);
  return done.result === "passed" ? 0 : 1;
});
