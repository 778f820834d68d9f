// The bench's floor: a Node process that only parses and writes the same files the render produces
// (no generators, no validation): the YAML documents, and the infrastructure modules as the render
// writes them (JSON.stringify with two-space indent and a final newline).
// Usage: node scripts/bench-floor.mjs <from> <to>
import { readdir, readFile, writeFile, mkdir } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { parse, stringify } from "yaml";

const [from, to] = process.argv.slice(2);
for (const dir of ["apps", "applicationsets", "rollouts", "infrastructure"]) {
  for (const e of await readdir(join(from, dir), { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const src = join(e.parentPath, e.name);
    const out = join(to, relative(from, src));
    const text = await readFile(src, "utf8");
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, e.name.endsWith(".json") ? `${JSON.stringify(JSON.parse(text), null, 2)}\n` : stringify(parse(text), { lineWidth: 0 }));
  }
}
