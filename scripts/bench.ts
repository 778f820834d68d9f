// npm run bench: median wall time of a full render (both environments, a fresh Node process each
// run, as a user runs it) against a floor process that only parses and writes the same YAML; then
// in-process render time as the number of regions grows tenfold (synthetic regions).
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { readInputs } from "./lib/inputs.ts";
import { copyRepository } from "./lib/tree.ts";
import { loadRepository } from "../generators/inputs/load.ts";
import { renderRepository } from "../generators/render.ts";
import type { InputFile } from "../generators/inputs/types.ts";

const root = process.cwd();
const runs = Number(process.env.BENCH_RUNS ?? 7);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timeProcess(args: string[], cwd: string): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd, stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error(`${args.join(" ")} failed`);
  return performance.now() - t0;
}

const scratch = await mkdtemp(join(tmpdir(), "bitactor-bench-"));
try {
  await copyRepository(root, scratch);
  const render: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < runs; i++) {
    render.push(timeProcess(["--import", import.meta.resolve("tsx"), join(root, "scripts/render.ts")], scratch));
    const out = await mkdtemp(join(tmpdir(), "bitactor-floor-"));
    floor.push(timeProcess([join(root, "scripts/bench-floor.mjs"), scratch, out], root));
    await rm(out, { recursive: true, force: true });
  }
  const r = median(render);
  const f = median(floor);
  console.log(`full render (process): median ${r.toFixed(0)} ms over ${runs} runs`);
  console.log(`floor (parse + write the same YAML, process): median ${f.toFixed(0)} ms`);
  console.log(`ratio render / floor: ${(r / f).toFixed(2)}`);

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
