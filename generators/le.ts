/**
 * Text spellings of a histogram bucket bound. Prometheus 2.x stores the `le` label exactly as
 * scraped (and so do remote-write and OTLP paths that forward what a client wrote), so the same
 * bound arrives differently from different client libraries:
 *   Go client_golang and Python (strconv.FormatFloat 'g', -1): 1e-06, 5e-07, 0.0001
 *   JavaScript prom-client (Number#toString):                    0.000001, 5e-7
 *   Java simpleclient (Double.toString):                          1.0E-6, 5.0E-7
 *   OpenMetrics-style floats (always a fraction digit):           1.0e-06
 *   Plain decimal:                                                0.0000005
 * Prometheus 3 normalises `le` at scrape (text, OpenMetrics and protobuf alike) to its
 * OpenMetrics float form (prometheus3Spelling below; prometheus.io/docs/prometheus/latest/migration,
 * "le and quantile label values"): 0.000001 and 1e-06 are both stored as 1e-06, 1 as 1.0. That form
 * is always one of the spellings above. The gate matches all of them, so neither a client change nor
 * a backend on the other Prometheus generation can make it read an empty bucket.
 */

interface Decomposed {
  /** Significant digits, no leading zeros, e.g. "75" for 7.5e-7. */
  readonly digits: string;
  /** Decimal exponent of the first digit: 7.5e-7 → -7. */
  readonly exp: number;
}

function decompose(x: number): Decomposed {
  // toExponential() without an argument yields the shortest digits that round-trip.
  const [mantissa, e] = x.toExponential().split("e") as [string, string];
  return { digits: mantissa.replace(".", ""), exp: Number(e) };
}

function plainDecimal({ digits, exp }: Decomposed): string {
  if (exp < 0) return "0." + "0".repeat(-exp - 1) + digits;
  const int = digits.padEnd(exp + 1, "0");
  const frac = digits.slice(exp + 1);
  return frac ? `${int.slice(0, exp + 1)}.${frac}` : int;
}

function scientific({ digits, exp }: Decomposed, opts: { e: string; minExpDigits: number; forceFraction: boolean }): string {
  const frac = digits.slice(1) || (opts.forceFraction ? "0" : "");
  const sign = exp < 0 ? "-" : opts.e === "e" ? "+" : "";
  const expText = String(Math.abs(exp)).padStart(opts.minExpDigits, "0");
  return `${digits[0]}${frac ? "." + frac : ""}${opts.e}${sign}${expText}`;
}

/** Go: strconv.FormatFloat(x, 'g', -1, 64): %e when exp < -4 or exp >= 6 (strconv/ftoa.go: shortest uses precision 6 for the choice). */
export function goSpelling(x: number): string {
  const d = decompose(x);
  return d.exp < -4 || d.exp >= 6 ? scientific(d, { e: "e", minExpDigits: 2, forceFraction: false }) : plainDecimal(d);
}

/**
 * What Prometheus 3 stores for a scraped bound: model/textparse formatOpenMetricsFloat, i.e. Go's
 * shortest 'g' form with ".0" appended when it has neither a point nor an exponent (1 → 1.0).
 */
export function prometheus3Spelling(x: number): string {
  const go = goSpelling(x);
  return go.includes(".") || go.includes("e") ? go : `${go}.0`;
}

/** JavaScript: Number#toString. */
export function jsSpelling(x: number): string {
  return String(x);
}

/** Java: Double.toString: decimal in [1e-3, 1e7), else d.dddE±n with at least one fraction digit. */
export function javaSpelling(x: number): string {
  const d = decompose(x);
  if (d.exp >= -3 && d.exp < 7) {
    const s = plainDecimal(d);
    return s.includes(".") ? s : s + ".0";
  }
  return scientific(d, { e: "E", minExpDigits: 1, forceFraction: true }).replace("E+", "E");
}

/** Every spelling of a bound given in nanoseconds, as seconds (the metric's unit). Sorted, unique. */
export function leSpellings(boundNs: number): string[] {
  const seconds = boundNs / 1e9;
  const d = decompose(seconds);
  const all = new Set([
    goSpelling(seconds),
    prometheus3Spelling(seconds),
    jsSpelling(seconds),
    javaSpelling(seconds),
    plainDecimal(d),
    scientific(d, { e: "e", minExpDigits: 2, forceFraction: true }),
  ]);
  return [...all].sort();
}

/** A fully anchored PromQL regex (label regexes are anchored) matching every spelling. */
export function leRegex(boundNs: number): string {
  return leSpellings(boundNs)
    .map((s) => s.replace(/[.+]/g, (c) => "\\" + c))
    .join("|");
}
