// The `le` label is text: every client spelling of a bound must match the gate's regex.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { goSpelling, javaSpelling, jsSpelling, leRegex, leSpellings, prometheus3Spelling } from "../generators/le.ts";

test("spellings of known bounds, as each client library writes them", () => {
  // Expected strings: Go strconv.FormatFloat(x,'g',-1,64), JS String(x), Java Double.toString(x).
  const table: [number, string, string, string][] = [
    [1000, "1e-06", "0.000001", "1.0E-6"],
    [500, "5e-07", "5e-7", "5.0E-7"],
    [750, "7.5e-07", "7.5e-7", "7.5E-7"],
    [2000, "2e-06", "0.000002", "2.0E-6"],
    [10000, "1e-05", "0.00001", "1.0E-5"],
    [100000, "0.0001", "0.0001", "1.0E-4"],
    [2500000, "0.0025", "0.0025", "0.0025"],
    [1e9, "1", "1", "1.0"],
  ];
  for (const [ns, go, js, java] of table) {
    const s = ns / 1e9;
    assert.equal(goSpelling(s), go, `go ${ns}`);
    assert.equal(jsSpelling(s), js, `js ${ns}`);
    assert.equal(javaSpelling(s), java, `java ${ns}`);
    for (const spelled of [go, js, java]) assert.ok(leSpellings(ns).includes(spelled));
  }
  assert.deepEqual(leSpellings(1000), ["0.000001", "1.0E-6", "1.0e-06", "1e-06"]);
});

test("what Prometheus 3 stores for a scraped bound (formatOpenMetricsFloat) is one of the spellings", () => {
  // Expected strings: Prometheus 3's normalisation of the le label at scrape (model/textparse).
  const table: [number, string][] = [
    [1000, "1e-06"],
    [500, "5e-07"],
    [750, "7.5e-07"],
    [100000, "0.0001"],
    [1e9, "1.0"],
    [1e10, "10.0"],
    [1e15, "1e+06"],
  ];
  for (const [ns, stored] of table) {
    assert.equal(prometheus3Spelling(ns / 1e9), stored, `${ns} ns`);
    assert.ok(leSpellings(ns).includes(stored), `${ns} ns: ${stored}`);
  }
  // Go switches to an exponent at 1e6 (strconv/ftoa.go), JavaScript only at 1e21.
  assert.equal(goSpelling(1e6), "1e+06");
  assert.equal(goSpelling(999999), "999999");
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 10_000_000_000 }), (ns) => leSpellings(ns).includes(prometheus3Spelling(ns / 1e9))),
    { numRuns: 500 },
  );
});

test("the regex matches every spelling of the bound and no other bound", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 1, max: 10_000_000 }), (a, b) => {
      const re = new RegExp(`^(?:${leRegex(a)})$`); // PromQL anchors label regexes
      for (const s of leSpellings(a)) assert.ok(re.test(s));
      for (const s of leSpellings(a)) assert.equal(Number(s), a / 1e9);
      if (a !== b) for (const s of leSpellings(b)) assert.ok(!re.test(s), `${s} must not match ${a} ns`);
    }),
    { numRuns: 300 },
  );
});
