import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

/**
 * Checks of the README and docs/ against the repository, so a page never sends a reader somewhere
 * that is not there: every relative link resolves (to a file, and to a heading when it has an
 * anchor), every `npm run <x>` is a script of package.json, and every path written in backticks
 * that starts with a top-level entry of the repository exists. Pure: the caller reads the files.
 */

export interface DocProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export interface DocSources {
  /** Markdown files to check, relative to the repository root, with their text. */
  readonly pages: ReadonlyMap<string, string>;
  /** Does this repository-relative path exist (file or folder)? */
  readonly exists: (path: string) => boolean;
  /** Markdown text of a repository-relative file, for anchors into pages not being checked. */
  readonly read: (path: string) => string | undefined;
  /** The scripts of package.json. */
  readonly scripts: ReadonlySet<string>;
  /** Top-level entries of the repository (folders and files): a backticked path starting with one is checked. */
  readonly topLevel: ReadonlySet<string>;
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fence = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*```/.test(line)) fence = !fence;
    const m = fence ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = m[1]!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Lines outside fenced code blocks, with their numbers; code blocks hold commands and output, not links. */
function prose(markdown: string): { line: number; text: string }[] {
  let fence = false;
  return markdown.split("\n").flatMap((text, i) => {
    if (/^\s*```/.test(text)) {
      fence = !fence;
      return [];
    }
    return fence ? [] : [{ line: i + 1, text }];
  });
}

export function docProblems(src: DocSources): DocProblem[] {
  const problems: DocProblem[] = [];
  for (const [file, text] of src.pages) {
    const add = (line: number, message: string) => problems.push({ file, line, message });
    // npm run <script>, in prose and in code blocks alike: a reader copies both.
    text.split("\n").forEach((l, i) => {
      for (const m of l.matchAll(/npm run ([a-z][\w:-]*)/g)) if (!src.scripts.has(m[1]!)) add(i + 1, `npm run ${m[1]}: package.json has no script ${m[1]}`);
    });
    for (const { line, text: l } of prose(text)) {
      for (const m of l.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/i.test(target)) continue; // http:, https:, mailto:
        const [path, anchor] = target.split("#") as [string, string | undefined];
        const resolved = path ? normalize(join(dirname(file), path)) : file;
        if (path && !src.exists(resolved)) {
          add(line, `link ${target}: ${resolved} does not exist`);
          continue;
        }
        if (anchor !== undefined) {
          const page = src.pages.get(resolved) ?? src.read(resolved);
          if (page === undefined || !anchors(page).has(anchor)) add(line, `link ${target}: ${resolved} has no heading #${anchor}`);
        }
      }
      for (const m of l.matchAll(/`([^`\s]+)`/g)) {
        const p = m[1]!.replace(/\/$/, "");
        // Placeholders and API versions (apps/v1) are not paths.
        if (/[<>*{}…$]/.test(p) || /^[a-z0-9.-]+\/v\d+((alpha|beta)\d+)?$/.test(p) || !src.topLevel.has(p.split("/")[0]!)) continue;
        if (!src.exists(p)) add(line, `\`${m[1]}\` does not exist`);
      }
    }
  }
  return problems;
}

/** The sources for the repository at `root`: README.md and every docs/*.md. */
export function repositoryDocs(root: string, pages: readonly string[]): DocSources {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
  const exists = (p: string) => existsSync(join(root, p));
  return {
    pages: new Map(pages.map((p) => [p, readFileSync(join(root, p), "utf8")])),
    exists,
    read: (p) => (exists(p) && statSync(join(root, p)).isFile() ? readFileSync(join(root, p), "utf8") : undefined),
    scripts: new Set(Object.keys(pkg.scripts)),
    // What is at the top of the repository, less what git never holds there.
    topLevel: new Set(readdirSync(root).filter((e) => e !== "node_modules" && e !== ".git")),
  };
}
