import { request as httpsRequest } from "node:https";
import type { KubeObject } from "../../lib/objects.ts";

/** The few API calls validation needs, over HTTPS with the server's own CA and a bearer token. */

export interface Response {
  readonly status: number;
  readonly body: unknown;
  /** `Warning` headers (deprecations, ignored fields in non-strict modes). */
  readonly warnings: readonly string[];
}

export interface ResourceInfo {
  readonly plural: string;
  readonly namespaced: boolean;
}

export class KubeClient {
  private readonly discovery = new Map<string, Map<string, ResourceInfo>>();

  constructor(
    readonly server: string,
    private readonly token: string,
    private readonly ca: string,
  ) {}

  /**
   * One API call. A connection dropped before any answer (a reused keep-alive socket the server just
   * closed) is retried twice: every call we make is a read, a dry-run or a create that tolerates 409.
   */
  async request(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(method, path, body, contentType);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (attempt === 3 || !(code === "ECONNRESET" || code === "EPIPE" || code === "ECONNREFUSED")) throw e;
      }
    }
  }

  private once(method: string, path: string, body: unknown, contentType: string): Promise<Response> {
    const url = new URL(path, this.server);
    const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        url,
        {
          method,
          ca: this.ca,
          headers: {
            authorization: `Bearer ${this.token}`,
            accept: "application/json",
            ...(payload === undefined ? {} : { "content-type": contentType }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // plain-text answers (/readyz) stay text
            }
            const w = res.headers.warning;
            resolve({ status: res.statusCode ?? 0, body: parsed, warnings: w === undefined ? [] : ([] as string[]).concat(w) });
          });
        },
      );
      req.on("error", reject);
      req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path}: no answer in 60 s`)));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /**
   * Streams a watch (`path` must carry `watch=1`): `onEvent` gets every change the server reports,
   * in order, so a state that lasted only an instant is still seen. Ends on `stop()` or when the
   * server closes the stream (`onEnd`).
   */
  watch(path: string, onEvent: (type: string, object: KubeObject) => void, onEnd: (why: string) => void = () => {}): { stop(): void } {
    const url = new URL(path, this.server);
    let buffered = "";
    const req = httpsRequest(url, { method: "GET", ca: this.ca, headers: { authorization: `Bearer ${this.token}`, accept: "application/json" } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        onEnd(`watch ${path}: HTTP ${res.statusCode}`);
        return;
      }
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line.trim()) {
            const ev = JSON.parse(line) as { type: string; object: KubeObject };
            onEvent(ev.type, ev.object);
          }
        }
      });
      res.on("end", () => onEnd("closed by the server"));
    });
    req.on("error", (e) => onEnd(e.message));
    req.end();
    return { stop: () => req.destroy() };
  }

  /** Plural name and scope of a kind, from the server's discovery (refreshed when a kind is unknown). */
  async resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    let kinds = this.discovery.get(apiVersion);
    if (!kinds?.has(kind)) {
      const r = await this.request("GET", apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`);
      kinds = new Map();
      if (r.status === 200) {
        for (const res of (r.body as { resources: { name: string; kind: string; namespaced: boolean }[] }).resources) {
          if (!res.name.includes("/")) kinds.set(res.kind, { plural: res.name, namespaced: res.namespaced });
        }
      }
      this.discovery.set(apiVersion, kinds);
    }
    return kinds.get(kind);
  }

  /** The collection path of an object's kind, in its namespace when the kind is namespaced. */
  async collectionPath(obj: KubeObject): Promise<string> {
    const info = await this.resource(obj.apiVersion, obj.kind);
    if (!info) throw new Error(`the server does not know ${obj.kind} in ${obj.apiVersion} (is its CRD installed?)`);
    const base = obj.apiVersion.includes("/") ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
    return info.namespaced ? `${base}/namespaces/${obj.metadata.namespace ?? "default"}/${info.plural}` : `${base}/${info.plural}`;
  }
}

/** A token of a ServiceAccount (TokenRequest, 4 hours: longer than any run), as the kubelet mounts one into the account's pods. */
export async function serviceAccountToken(client: KubeClient, namespace: string, account: string): Promise<string> {
  const r = await client.request("POST", `/api/v1/namespaces/${namespace}/serviceaccounts/${account}/token`, { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 3600 * 4 } });
  if (r.status !== 201) throw new Error(`a token for ${namespace}/${account}: ${statusMessage(r)}`);
  return (r.body as { status: { token: string } }).status.token;
}

/** The server's own message from a failed call (its Status object), or the raw answer. */
export function statusMessage(r: Response): string {
  const b = r.body as { kind?: string; message?: string } | string;
  if (typeof b === "object" && b?.kind === "Status" && b.message) return b.message;
  return `HTTP ${r.status}: ${typeof b === "string" ? b : JSON.stringify(b)}`;
}
