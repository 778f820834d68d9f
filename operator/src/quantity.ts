/**
 * Kubernetes resource quantities as exact integers of their base unit (bytes, devices), enough to
 * compare a node's allocatable with a pod's request. Milli-units (`500m`) are kept as thousandths so
 * no value is rounded (k8s.io/apimachinery/pkg/api/resource, "Quantity": binary Ki..Ei, decimal
 * k..E, exponent e/E, and m).
 */
const SUFFIX: Readonly<Record<string, bigint>> = {
  "": 1000n,
  m: 1n,
  k: 1000n * 1000n,
  M: 1000n * 10n ** 6n,
  G: 1000n * 10n ** 9n,
  T: 1000n * 10n ** 12n,
  P: 1000n * 10n ** 15n,
  E: 1000n * 10n ** 18n,
  Ki: 1000n * 1024n,
  Mi: 1000n * 1024n ** 2n,
  Gi: 1000n * 1024n ** 3n,
  Ti: 1000n * 1024n ** 4n,
  Pi: 1000n * 1024n ** 5n,
  Ei: 1000n * 1024n ** 6n,
};

/** Thousandths of the quantity's unit; throws on text that is not a quantity. */
export function milliUnits(q: string): bigint {
  const m = /^([0-9]+)(?:\.([0-9]+))?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][0-9]+)?$/.exec(q.trim());
  if (!m) throw new Error(`"${q}" is not a Kubernetes quantity`);
  const [, whole, frac = "", suffix = ""] = m;
  const scale = /^[eE]/.test(suffix) ? 1000n * 10n ** BigInt(suffix.slice(1)) : SUFFIX[suffix]!;
  const denominator = 10n ** BigInt(frac.length);
  return (BigInt(whole! + frac) * scale) / denominator;
}
