// npm run status [-- --component <name>] [--live]
//
// Per component (and the operator, bitactor-operator): the version each stage runs (wave by wave, from environments/waves.yaml), since
// which commit (from the git history, first parent), and what the next promotion would be. With
// --live, also what each stage's cluster reports (kubectl, context = cluster name), judged as
// npm run promote judges it.
import { parseArgs } from "node:util";
import { main } from "./lib/run.ts";
import { readInputs } from "../lib/inputs.ts";
import { readHistory } from "./lib/history.ts";
import { loadRepository } from "../generators/inputs/load.ts";
import { soakSeconds } from "../generators/inputs/plan.ts";
import { nextPromotion, ReleaseRefused, stagesOf } from "./lib/release-plan.ts";
import { short, shortDigest, wavesOf } from "../checks/release-order.ts";
import { stageEvidence } from "./lib/live.ts";
import { pinsSince } from "./lib/since.ts";
import { belongsIn, OPERATOR_RELEASE } from "../generators/inputs/pins.ts";

await main(async () => {
  const { values } = parseArgs({ options: { component: { type: "string" }, live: { type: "boolean" } }, strict: true });
  const root = process.cwd();
  const model = loadRepository(await readInputs(root));
  const history = await readHistory(root);
  const since = pinsSince(history.snapshots);
  const stages = stagesOf(model);
  const all = [...Object.keys(model.catalog.components), OPERATOR_RELEASE].filter((c) => [...stages.values()].some((s) => s.pins[c]));
  if (values.component && !all.includes(values.component)) throw new Error(`unknown component "${values.component}"; components: ${all.join(", ")}`);
  const date = (commit: string) => {
    const t = history.times.get(commit);
    return t ? new Date(t * 1000).toISOString().slice(0, 10) : "";
  };
  for (const component of values.component ? [values.component] : all) {
    console.log(component);
    const waves = wavesOf(model.plan, (s) => stages.has(s) && belongsIn(component, stages.get(s)?.pins));
    const rows: string[][] = [["wave", "stage", "version", "digest", "since"]];
    const live: string[] = [];
    for (const w of waves) {
      for (const id of w.stages) {
        const pin = stages.get(id)!.pins[component];
        const s = since.get(id)?.get(component);
        if (!pin) {
          rows.push([w.name, id, "none", "", "not here yet"]);
          continue;
        }
        rows.push([w.name, id, pin.version, shortDigest(pin.digest), !s ? "" : s.commit === "working tree" ? "uncommitted" : `${short(s.commit).slice(0, 8)} ${date(s.commit)} ${s.subject.length > 48 ? `${s.subject.slice(0, 47)}…` : s.subject}`]);
        if (values.live) live.push(`  ${id}: ${stageEvidence(stages.get(id)!, component, pin.digest, w.soak ? soakSeconds(w.soak) : 0).detail}`);
      }
    }
    const width = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) console.log(`  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(width[i]!))).join("  ")}`.trimEnd());
    if (values.live) {
      console.log(" live:");
      for (const l of live) console.log(l);
    }
    try {
      const p = nextPromotion(model, component);
      console.log("upToDate" in p ? `  next: none, ${p.upToDate}` : `  next: npm run promote -- ${component}   (${p.pin.version} from ${p.from.name} to ${p.to.name}: ${p.changes.map((c) => c.stage.id).join(", ")}; after ${p.from.name}'s soak of ${p.from.soak})`);
    } catch (e) {
      if (!(e instanceof ReleaseRefused)) throw e;
      console.log(`  next: blocked: ${e.message}`);
    }
    console.log("");
  }
});
