/**
 * Linux cpuset lists (cpuset(7), "List format": `0-7,16,18-19`), as the kubelet's
 * `reservedSystemCPUs` and the kernel's `isolcpus`/`nohz_full` take them.
 */

/** The CPUs a list names, ascending. Throws on a range that runs backwards (`7-0`). */
export function parseCpuset(list: string): number[] {
  const cpus = new Set<number>();
  for (const part of list.split(",")) {
    const [a, b = a] = part.split("-").map(Number) as [number, number?];
    if (!Number.isInteger(a) || !Number.isInteger(b) || b < a) throw new Error(`"${part}" is not a CPU or an ascending range (cpuset(7) list format)`);
    for (let c = a; c <= b; c++) cpus.add(c);
  }
  return [...cpus].sort((x, y) => x - y);
}

/** CPUs both lists name. */
export function overlap(a: string, b: string): number[] {
  const other = new Set(parseCpuset(b));
  return parseCpuset(a).filter((c) => other.has(c));
}
