import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root: every room finds its files from here, whatever the current directory. */
export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..");
