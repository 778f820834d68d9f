// npm run bench: what a user pays for `npm run render` (npm's start-up included, a fresh process
// each run) against npm's start-up plus the floor, `npm run bench:floor`, a process that only parses
// and writes the same YAML: median of paired runs, alternating which goes first. Then in-process
// render time as the number of regions grows tenfold (synthetic regions).
import { spawnSync } from "node:child_process";
import { copyFile, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { readInputs } from "../lib/inputs.ts";
import { copyRepository } from "../lib/tree.ts";
import { loadRepository } from "../generators/inputs/load.ts";
import { renderRepository } from "../generators/render.ts";
import type { InputFile } from "../generators/inputs/types.ts";

const root = process.cwd();
const runs = Number(process.env.BENCH_RUNS ?? 7);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timeNpm(args: string[], cwd: string): number {
  const t0 = performance.now();
  const r = spawnSync("npm", ["run", "--silent", ...args], { cwd, stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error(`npm run ${args.join(" ")} failed`);
  return performance.now() - t0;
}

// A scratch repository: its own inputs and rendered tree, the code and packages linked, so
// `npm run render` there is exactly the user's command and the committed tree is never touched.
const scratch = await mkdtemp(join(tmpdir(), "bitactor-bench-"));
try {
  await copyRepository(root, scratch);
  await copyFile(join(root, "package.json"), join(scratch, "package.json"));
  for (const d of ["node_modules", "generators", "lib", "checks", "toolchain", "harness", "scripts", "tools"]) await symlink(join(root, d), join(scratch, d));
  const render: number[] = [];
  const floor: number[] = [];
  const ratio: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = await mkdtemp(join(tmpdir(), "bitactor-floor-"));
    const timeRender = () => timeNpm(["render"], scratch);
    const timeFloor = () => timeNpm(["bench:floor", "--", scratch, out], scratch);
    // Alternate which runs first, so a warm disk cache or a busy moment does not favour one side.
    let r: number, f: number;
    if (i % 2 === 0) { r = timeRender(); f = timeFloor(); } else { f = timeFloor(); r = timeRender(); }
    await rm(out, { recursive: true, force: true });
    render.push(r);
    floor.push(f);
    ratio.push(r / f);
  }
  console.log(`npm run render: median ${median(render).toFixed(0)} ms over ${runs} runs`);
  console.log(`npm run bench:floor (npm + parse and write the same YAML and JSON): median ${median(floor).toFixed(0)} ms`);
  console.log(`ratio render / floor, median of ${runs} pairs: ${median(ratio).toFixed(2)} (target ≤ 1.5)`);

  // Growth: synthetic production regions (copies of the real ones under new ids), rendered in-process.
  const inputs = await readInputs(root);
  const base = inputs.filter((f) => /^environments\/production\/regions\//.test(f.path));
  const withRegions = (n: number): InputFile[] => {
    const others = inputs.filter((f) => !/^environments\/production\/regions\//.test(f.path));
    const regions = Array.from({ length: n }, (_, i) => {
      const src = base[i % base.length]!;
      const id = `syn${String(i).padStart(3, "0")}`;
      return { path: `environments/production/regions/${id}.yaml`, text: src.text.replace(/^region: .*$/m, `region: ${id}`) };
    });
    return [...others, ...regions];
  };
  const inProcess = (files: InputFile[]) => {
    const ts: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      renderRepository(loadRepository(files));
      ts.push(performance.now() - t0);
    }
    return median(ts);
  };
  inProcess(withRegions(6)); // warm the JIT and module caches
  const small = inProcess(withRegions(6));
  const large = inProcess(withRegions(60));
  console.log(`in-process render, 6 production regions: ${small.toFixed(0)} ms (${(small / 7).toFixed(1)} ms per region incl. staging)`);
  console.log(`in-process render, 60 production regions: ${large.toFixed(0)} ms (${(large / 61).toFixed(1)} ms per region)`);
  console.log(`growth for 10× regions: ${(large / small).toFixed(1)}× (linear ≈ ${(61 / 7).toFixed(1)}×)`);
} finally {
  await rm(scratch, { recursive: true, force: true });
}
