import { run } from "./bootstrap.ts";
import type { Kit } from "./kit.ts";
import { runStep, type StepRow } from "./steps.ts";

/** (h) The history every lane made, judged as CI judges a merge request: `npm run check` in the test repository. */
export function historyCheck(kit: Kit, rowH: StepRow): Promise<void> {
  const { shell, log } = kit;
  return runStep(rowH, async (row) => {
    const r = await run(shell, "npm run --silent check", 300_000);
    log(`$ npm run check  (exit ${r.status})\n${r.output}`);
    const hotfixes = r.output.split("\n").filter((l) => /^check: hotfix: /.test(l));
    if (r.status !== 0) row.problems.push(`npm run check exited ${r.status}:\n${r.output}`);
    if (hotfixes.length !== 2) row.problems.push(`expected the two hotfixes of (a) and (b), got:\n${hotfixes.join("\n")}`);
    row.observed = `${r.output.split("\n").find((l) => /release order kept/.test(l)) ?? r.output.split("\n").at(-1)}; ${hotfixes.map((h) => h.replace(/^check: hotfix: /, "")).join("; ")}`;
  });
}
