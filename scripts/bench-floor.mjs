// The bench's floor: a Node process that only parses and writes the same YAML documents the
// render produces (no generators, no validation). Usage: node scripts/bench-floor.mjs <from> <to>
import { readdir, readFile, writeFile, mkdir } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { parse, stringify } from "yaml";

const [from, to] = process.argv.slice(2);
for (const dir of ["apps", "applicationsets", "rollouts"]) {
  for (const e of await readdir(join(from, dir), { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const src = join(e.parentPath, e.name);
    const out = join(to, relative(from, src));
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, stringify(parse(await readFile(src, "utf8")), { lineWidth: 0 }));
  }
}
