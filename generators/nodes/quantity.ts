/**
 * Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource, Quantity) as exact integers:
 * CPU in millicores, everything else in whole units (bytes, pages, devices). The fit check adds and
 * compares them, so no floating point: 0.1 + 0.2 CPUs must equal 300m.
 */

const BINARY: Record<string, bigint> = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** The quantity times `scale` (1000 for millicores), rounded up as the API server rounds requests up to its precision. */
export function quantityUnits(q: string | number, scale: 1 | 1000 = 1): bigint {
  const text = String(q);
  const m = /^([+]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+|n|u|m|k|M|G|T|P|E)?$/.exec(text);
  if (!m) throw new Error(`"${text}" is not a Kubernetes quantity (e.g. 500m, 2, 8Gi, 1e3)`);
  const [whole, frac = ""] = m[2]!.split(".");
  let digits = BigInt(`${whole || "0"}${frac}`);
  let exp = -frac.length;
  const suffix = m[3] ?? "";
  if (suffix in BINARY) digits *= BINARY[suffix]!;
  else if (/^[eE]/.test(suffix)) exp += Number(suffix.slice(1));
  else exp += DECIMAL[suffix]!;
  digits *= BigInt(scale);
  if (exp >= 0) return digits * 10n ** BigInt(exp);
  const div = 10n ** BigInt(-exp);
  return (digits + div - 1n) / div;
}

/** CPU in millicores. */
export const millicores = (q: string | number): bigint => quantityUnits(q, 1000);

/** A quantity for people: millicores as cores, bytes in the largest binary unit that keeps one decimal. */
export function showQuantity(resource: string, units: bigint): string {
  if (resource === "cpu") return units % 1000n === 0n ? String(units / 1000n) : `${units}m`;
  if (resource === "memory" || resource === "ephemeral-storage" || resource.startsWith("hugepages-")) {
    for (const [suffix, size] of [["Ti", 1n << 40n], ["Gi", 1n << 30n], ["Mi", 1n << 20n], ["Ki", 1n << 10n]] as const) {
      if (units >= size) {
        const tenths = (units * 10n) / size;
        return `${tenths / 10n}${tenths % 10n === 0n ? "" : `.${tenths % 10n}`}${suffix}`;
      }
    }
  }
  return String(units);
}
