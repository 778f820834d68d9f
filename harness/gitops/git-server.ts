import { execFile, spawn } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { basename, dirname } from "node:path";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { freePorts } from "../cluster/process.ts";

/**
 * The test repository as a private git host serves it: smart HTTP (git's own `git http-backend`,
 * the CGI program git documents for this, git-http-backend(1)) that answers only a request with the
 * right user and token (HTTP Basic) and refuses every other with 401, as a host does for a private
 * repository. Plain http on 127.0.0.1: the credential never leaves this machine (the environment
 * schema admits plain http only there). Read-only: the e2e commits into the working repository itself.
 */
export interface GitServer {
  /** The repository's URL (`http://127.0.0.1:<port>/<folder>`). */
  readonly url: string;
  /** The read credential it demands. */
  readonly username: string;
  readonly password: string;
  /** Requests answered, and requests refused for a missing or wrong credential, so far. */
  counts(): { readonly served: number; readonly refused: number };
  stop(): Promise<void>;
}

/** Serves the git repository at `repo` (a working tree: http-backend finds its `.git`). */
export async function startGitServer(repo: string): Promise<GitServer> {
  const [port] = await freePorts(1);
  const username = "argocd";
  const password = randomBytes(24).toString("hex");
  const expected = Buffer.from(`Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`);
  const prefix = `/${basename(repo)}`;
  let served = 0;
  let refused = 0;
  const authorized = (req: IncomingMessage): boolean => {
    const given = Buffer.from(req.headers.authorization ?? "");
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  const server = createServer((req, res) => {
    if (!authorized(req)) {
      refused++;
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="bitactor-gitops"', "Content-Type": "text/plain" }).end("credential required\n");
      return;
    }
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (!url.pathname.startsWith(`${prefix}/`) && url.pathname !== prefix) {
      res.writeHead(404).end();
      return;
    }
    served++;
    backend(req, res, dirname(repo), url, username);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    username,
    password,
    counts: () => ({ served, refused }),
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** One request through `git http-backend` (CGI/1.1: the request in environment variables and stdin, the response on stdout). */
function backend(req: IncomingMessage, res: ServerResponse, root: string, url: URL, user: string): void {
  const cgi = spawn("git", ["http-backend"], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      // Every repository under the root may be served (it holds only the test repository's folder).
      GIT_HTTP_EXPORT_ALL: "1",
      REQUEST_METHOD: req.method ?? "GET",
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ""),
      CONTENT_TYPE: req.headers["content-type"] ?? "",
      ...(req.headers["content-length"] ? { CONTENT_LENGTH: req.headers["content-length"] } : {}),
      ...(req.headers["content-encoding"] ? { HTTP_CONTENT_ENCODING: req.headers["content-encoding"] } : {}),
      ...(req.headers["git-protocol"] ? { GIT_PROTOCOL: String(req.headers["git-protocol"]) } : {}),
      REMOTE_USER: user,
      REMOTE_ADDR: "127.0.0.1",
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  req.pipe(cgi.stdin);
  let head = Buffer.alloc(0);
  let headerDone = false;
  let stderr = "";
  cgi.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
  cgi.stdout.on("data", (chunk: Buffer) => {
    if (headerDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const crlf = head.indexOf("\r\n\r\n");
    const lf = head.indexOf("\n\n");
    const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
    if (end < 0) return;
    headerDone = true;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, end).toString("latin1").split(/\r?\n/).filter(Boolean)) {
      const at = line.indexOf(":");
      const name = line.slice(0, at).trim();
      const value = line.slice(at + 1).trim();
      if (name.toLowerCase() === "status") status = Number(value.split(" ")[0]);
      else headers[name] = value;
    }
    res.writeHead(status, headers);
    res.write(head.subarray(end));
  });
  cgi.on("close", (code) => {
    if (!headerDone) {
      res.writeHead(500, { "Content-Type": "text/plain" }).end(`git http-backend exited ${code}: ${stderr}`);
      return;
    }
    res.end();
  });
  cgi.on("error", (e) => {
    if (!res.headersSent) res.writeHead(500).end(String(e));
  });
}

/** `git ls-remote` of `url` as someone without the credential (no prompt): whether it was answered. */
export function readWithoutCredential(url: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile("git", ["-c", "credential.helper=", "ls-remote", url], { env: { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "", SSH_ASKPASS: "" }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ ok: error === null, output: `${stdout}${stderr}`.trim().split("\n").slice(-1)[0] ?? "" });
    });
  });
}
