import type { InputError } from "./errors.ts";
import type { YamlSource } from "./yaml-source.ts";
import type { Catalog, RegionSettings } from "./types.ts";
import { CLOUDS } from "./types.ts";
import type { MachineCatalog } from "./machines.ts";

/**
 * What the node catalog's schema cannot say: every machine type the component catalog names exists
 * in it for that cloud (the fit check needs its figures), and each reservation table reads in one
 * direction (only the last tier open-ended; AKS's rows by rising core count).
 */
export function checkMachines(catalog: Catalog, src: YamlSource, machines: MachineCatalog, machinesSrc: YamlSource): InputError[] {
  const errors: InputError[] = [];
  const named = [
    ...Object.entries(catalog.nodePools).map(([id, p]) => ({ path: ["nodePools", id, "instanceTypes"], types: p.instanceTypes })),
    { path: ["systemNodes", "instanceTypes"], types: catalog.systemNodes.instanceTypes },
  ];
  for (const { path, types } of named) {
    for (const cloud of CLOUDS) {
      const known = machines.clouds[cloud].types;
      if (!known[types[cloud]]) {
        errors.push(src.error([...path, cloud], `${types[cloud]} is not in engine/machines.yaml clouds.${cloud}.types (known: ${Object.keys(known).sort().join(", ")}); add it there with its published figures and their source`));
      }
    }
  }
  for (const cloud of CLOUDS) {
    const r = machines.clouds[cloud].reservation;
    for (const [resource, spec] of [["cpu", r.cpu], ["memory", r.memory]] as const) {
      if (!("tiers" in spec)) continue;
      spec.tiers.forEach((t, i) => {
        const last = i === spec.tiers.length - 1;
        if (last !== (t.size === undefined)) {
          errors.push(machinesSrc.error(["clouds", cloud, "reservation", resource, "tiers", i], last ? "the last tier takes everything above the others: it has no size" : "every tier but the last needs a size"));
        }
      });
    }
    const cpu = r.cpu;
    if ("table" in cpu) {
      cpu.table.forEach((row, i) => {
        const prev = cpu.table[i - 1];
        if (prev && row.cores <= prev.cores) errors.push(machinesSrc.error(["clouds", cloud, "reservation", "cpu", "table", i, "cores"], `rows go by rising core count: ${row.cores} follows ${prev.cores}`));
      });
    }
  }
  return errors;
}

/** A region's own machine choices (`nodePools.<pool>.instanceType`): a pool its components use, a machine type the node catalog has for its cloud. */
export function checkRegionMachines(catalog: Catalog, machines: MachineCatalog, regions: readonly { value: RegionSettings; source: YamlSource }[]): InputError[] {
  const errors: InputError[] = [];
  for (const { value: r, source } of regions) {
    const used = new Set(Object.keys(r.components).map((id) => catalog.components[id]?.nodePool));
    for (const [pool, choice] of Object.entries(r.nodePools ?? {})) {
      if (!catalog.nodePools[pool]) errors.push(source.error(["nodePools"], `unknown pool "${pool}"; engine/catalog.yaml nodePools: ${Object.keys(catalog.nodePools).join(", ")}`, pool));
      else if (!used.has(pool)) errors.push(source.error(["nodePools"], `no component of this region runs on pool "${pool}" (${[...used].filter(Boolean).sort().join(", ")} do): the choice would do nothing`, pool));
      const known = machines.clouds[r.cloud].types;
      if (!known[choice.instanceType]) errors.push(source.error(["nodePools", pool, "instanceType"], `${choice.instanceType} is not in engine/machines.yaml clouds.${r.cloud}.types (known: ${Object.keys(known).sort().join(", ")}); add it there with its published figures and their source`));
    }
  }
  return errors;
}
