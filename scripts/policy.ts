// npm run policy: the security policy gate over the committed rendered tree (checks/policy.ts).
// Prints every violation as `file: Kind ns/name field: rule: message` and exits 1 if there is one.
import { loadRepository } from "../generators/inputs/load.ts";
import { checkPolicies, RULES } from "../checks/policy.ts";
import { readInputs } from "../lib/inputs.ts";
import { parseFiles } from "../lib/objects.ts";
import { main } from "./lib/run.ts";
import { readRendered } from "../lib/tree.ts";

await main(async () => {
  const root = process.cwd();
  const model = loadRepository(await readInputs(root));
  const objects = parseFiles(await readRendered(root)).map(({ file, object }) => ({ path: file, object: object as never }));
  if (objects.length === 0) throw new Error(`no rendered objects in ${root}: run npm run render first`);
  const violations = checkPolicies(objects, model);
  for (const v of violations) console.log(`VIOLATION ${v.path}: ${v.object} ${v.field || "(object)"}: ${v.rule}: ${v.message}`);
  console.log(`policy: ${objects.length} objects, ${Object.keys(RULES).length} rules, ${violations.length} violation${violations.length === 1 ? "" : "s"}`);
  return violations.length ? 1 : 0;
});
