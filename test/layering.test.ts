// The layering of .dependency-cruiser.cjs holds on the repository (npm run layers: npm test runs it here), and
// the configuration refuses what it is there to refuse: an import up the rooms, type-only ones
// included, and a ring of files; each refusal names its rule.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ROOT } from "./helpers/repo.ts";

const ROOMS = ["generators", "lib", "checks", "toolchain", "harness", "scripts"];
const depcruise = join(ROOT, "node_modules", ".bin", "depcruise");

function cruise(cwd: string, dirs: readonly string[]): { status: number | null; output: string } {
  const r = spawnSync(depcruise, ["--config", join(cwd, ".dependency-cruiser.cjs"), "--output-type", "err-long", ...dirs], { cwd, encoding: "utf8" });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** A scratch tree with the repository's configuration and these files. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "bitactor-layers-"));
  copyFileSync(join(ROOT, ".dependency-cruiser.cjs"), join(dir, ".dependency-cruiser.cjs"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

test("npm run layers (what README promises in npm test): the repository keeps its layering, no import up the rooms, no circle", () => {
  const r = spawnSync("npm", ["run", "--silent", "layers"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /no dependency violations found \(\d+ modules/);
});

test("every import up the rooms is refused with its rule, a type-only one too; imports down pass", () => {
  // One file per room, each importing the room above it (refused) and the one below it (allowed).
  const files: Record<string, string> = {};
  ROOMS.forEach((room, i) => {
    const up = ROOMS[i + 1] ?? "test";
    const down = ROOMS[i - 1];
    files[`${room}/a.ts`] = [
      i % 2 ? `import type { T } from "../${up}/a.ts";` : `import { v } from "../${up}/a.ts";`,
      down ? `import { v as w } from "../${down}/b.ts";` : "",
      `export type T = number;`,
      `export const v = 1;`,
      i % 2 ? `export const u = (t: T) => t + ${down ? "w" : "1"};` : `export const u = v + ${down ? "w" : "1"};`,
    ].join("\n");
    files[`${room}/b.ts`] = "export const v = 1;\n";
  });
  files["test/a.ts"] = "export type T = number;\nexport const v = 1;\n";
  const dir = tree(files);
  try {
    const r = cruise(dir, [...ROOMS, "test"]);
    assert.notEqual(r.status, 0);
    for (const [i, room] of ROOMS.entries()) {
      assert.match(r.output, new RegExp(`error ${room}-imports-downward: ${room}/a\\.ts → ${ROOMS[i + 1] ?? "test"}/a\\.ts`), r.output);
    }
    // Exactly the six upward imports; the downward ones and test/ importing nothing pass.
    assert.match(r.output, /x 6 dependency violations \(6 errors, 0 warnings\)/, r.output);
    // err-long says what to do, not only the rule's name.
    assert.match(r.output, /checks\/ may import only from generators\/, lib\/ and tools\/versions\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("two files importing each other, inside one room, are refused as a circle", () => {
  const dir = tree({
    "harness/loop.ts": 'import { laneF } from "./waves.ts";\nexport interface StepRow { step: string }\nexport const run = () => laneF();\n',
    "harness/waves.ts": 'import type { StepRow } from "./loop.ts";\nexport const laneF = (): StepRow[] => [];\n',
  });
  try {
    const r = cruise(dir, ["harness"]);
    assert.notEqual(r.status, 0);
    assert.match(r.output, /error no-circular: harness\/loop\.ts → \s*harness\/waves\.ts →\s*harness\/loop\.ts/, r.output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
