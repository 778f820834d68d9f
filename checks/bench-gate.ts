import type { Catalog } from "../generators/inputs/types.ts";

/**
 * The bare-metal benchmark gate (.github/workflows/bench.yml runs it after the benchmark image on a
 * self-hosted runner of the component's node pool). Pure: the command reads the files.
 *
 * A result is what the benchmark image writes: one component measured `runs` times on one instance
 * type. The gate fails when
 * - the result is not a valid measurement of this component on its pool's hardware (wrong instance
 *   type, too few runs, too few samples in a run): a number measured elsewhere proves nothing;
 * - any run's p99 exceeds the component's budgetNs (the worst run, not the median: a budget the
 *   engine breaks one time in five is broken);
 * - the median p99 is more than the threshold slower than the last result on main on the same
 *   instance type. The threshold is catalog.benchmark.regressionPercent, raised to the last result's
 *   own run-to-run spread ((max - min) / median) when that is larger, so noise alone never fails.
 */

/** One benchmark run's figures. */
export interface BenchRun {
  /** The 99th percentile latency of the run, in nanoseconds. */
  readonly p99Ns: number;
  /** Observations in the run. */
  readonly samples: number;
}

/** The JSON the benchmark image writes (and bench.yml keeps as the main branch's last result). */
export interface BenchResult {
  readonly component: string;
  /** The instance type the runner reported (EC2 / GCE / Azure metadata), e.g. m7i.metal-24xl. */
  readonly instanceType: string;
  /** The benchmark image that measured, by digest. */
  readonly image: string;
  readonly runs: readonly BenchRun[];
}

export interface BenchVerdict {
  readonly ok: boolean;
  /** One line per finding, failures first; each names the figures it compared. */
  readonly lines: readonly string[];
  /** The median p99 of the result's runs (ns). */
  readonly medianNs: number;
  /** The regression threshold applied, in percent (undefined: no comparable last result). */
  readonly thresholdPercent?: number;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** (max - min) / median of the runs' p99, in percent. */
export const spreadPercent = (runs: readonly BenchRun[]): number => {
  const p = runs.map((r) => r.p99Ns);
  return ((Math.max(...p) - Math.min(...p)) / median(p)) * 100;
};

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** Where a result file is malformed (checked before judging; the command names the file). */
export function benchResultIssues(value: unknown): string[] {
  const issues: string[] = [];
  const o = value as Record<string, unknown> | null;
  if (typeof o !== "object" || o === null || Array.isArray(o)) return ["not a JSON object"];
  for (const f of ["component", "instanceType", "image"]) if (typeof o[f] !== "string" || o[f] === "") issues.push(`/${f}: must be a non-empty string`);
  if (!Array.isArray(o.runs) || o.runs.length === 0) issues.push("/runs: must be a non-empty array");
  else o.runs.forEach((r: unknown, i: number) => {
    const run = r as Record<string, unknown> | null;
    for (const f of ["p99Ns", "samples"]) {
      const v = run?.[f];
      if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) issues.push(`/runs/${i}/${f}: must be a positive number`);
    }
  });
  const extra = Object.keys(o).filter((k) => !["component", "instanceType", "image", "runs"].includes(k));
  for (const k of extra) issues.push(`/${k}: unknown field (allowed: component, instanceType, image, runs)`);
  return issues;
}

export function judgeBench(catalog: Catalog, result: BenchResult, last?: BenchResult): BenchVerdict {
  const failures: string[] = [];
  const notes: string[] = [];
  const component = catalog.components[result.component];
  const medianNs = result.runs.length ? median(result.runs.map((r) => r.p99Ns)) : NaN;
  if (!component) {
    return { ok: false, medianNs, lines: [`${result.component}: not a component of engine/catalog.yaml (known: ${Object.keys(catalog.components).sort().join(", ")})`] };
  }
  const pool = catalog.nodePools[component.nodePool]!;
  const types = Object.values(pool.instanceTypes);
  const b = catalog.benchmark;
  if (!types.includes(result.instanceType)) {
    failures.push(`measured on ${result.instanceType}, but ${result.component} runs on node pool ${component.nodePool} (${types.join(", ")}): the figure says nothing about production`);
  }
  if (result.image !== b.image) failures.push(`measured by ${result.image}, not the pinned benchmark image ${b.image} (engine/catalog.yaml benchmark.image)`);
  if (result.runs.length < b.runs) failures.push(`${result.runs.length} runs, the catalog asks for ${b.runs} (benchmark.runs)`);
  result.runs.forEach((r, i) => {
    if (r.samples < b.minSamplesPerRun) failures.push(`run ${i + 1}: ${r.samples} samples, fewer than ${b.minSamplesPerRun} (benchmark.minSamplesPerRun): its p99 is not reliable`);
  });
  const worst = Math.max(...result.runs.map((r) => r.p99Ns));
  if (worst > component.budgetNs) {
    const over = result.runs.map((r, i) => [i + 1, r.p99Ns] as const).filter(([, p]) => p > component.budgetNs);
    failures.push(`p99 over the ${component.budgetNs} ns budget in ${over.length} of ${result.runs.length} runs (${over.map(([i, p]) => `run ${i}: ${fmt(p)} ns`).join(", ")})`);
  } else {
    notes.push(`p99 within the ${component.budgetNs} ns budget in every run (worst ${fmt(worst)} ns, median ${fmt(medianNs)} ns)`);
  }
  let thresholdPercent: number | undefined;
  if (!last) {
    notes.push("no last result on main: nothing to compare with (this result becomes the baseline once merged)");
  } else if (last.component !== result.component || last.instanceType !== result.instanceType) {
    notes.push(`the last result on main measured ${last.component} on ${last.instanceType}: not comparable, no regression check`);
  } else {
    const lastMedian = median(last.runs.map((r) => r.p99Ns));
    const spread = spreadPercent(last.runs);
    thresholdPercent = Math.max(b.regressionPercent, spread);
    const change = ((medianNs - lastMedian) / lastMedian) * 100;
    const why = spread > b.regressionPercent ? `the last result's run-to-run spread ${fmt(spread)} %, above regressionPercent ${b.regressionPercent} %` : `regressionPercent ${b.regressionPercent} %`;
    const line = `median p99 ${fmt(medianNs)} ns against ${fmt(lastMedian)} ns on main (${change >= 0 ? "+" : ""}${change.toFixed(1)} %; threshold ${fmt(thresholdPercent)} %: ${why})`;
    if (change > thresholdPercent) failures.push(`regressed: ${line}`);
    else notes.push(line);
  }
  return { ok: failures.length === 0, medianNs, thresholdPercent, lines: [...failures.map((f) => `FAIL ${f}`), ...notes.map((n) => `ok   ${n}`)] };
}
