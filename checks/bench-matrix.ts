import type { Catalog } from "../generators/inputs/types.ts";

/** The self-hosted runner label of a node pool: bench.yml's jobs run on [self-hosted, bare-metal, <label>]. */
export const runnerLabel = (pool: string): string => `bitactor-${pool}`;

/** One job of bench.yml's matrix. */
export interface BenchJob {
  readonly component: string;
  readonly pool: string;
  readonly runner: string;
  readonly budgetNs: number;
  /** The benchmark image, by digest (catalog benchmark.image). */
  readonly image: string;
  readonly runs: number;
  /** The cores the benchmark runs on: the ones the engine's nodes isolate (catalog nodeTuning.isolatedCpus). */
  readonly cpus: string;
}

/** Every component, on the runner of its node pool (sorted, so the matrix is stable). */
export function benchMatrix(catalog: Catalog): BenchJob[] {
  return Object.entries(catalog.components)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([component, c]) => ({ component, pool: c.nodePool, runner: runnerLabel(c.nodePool), budgetNs: c.budgetNs, image: catalog.benchmark.image, runs: catalog.benchmark.runs, cpus: catalog.nodeTuning.isolatedCpus }));
}
