import type { ClientRequest, IncomingMessage, ServerResponse } from "node:http";
import { createServer, request as httpsRequest } from "node:https";

/**
 * A loopback TLS proxy in front of the throw-away API server, for a client (the BitActor operator)
 * whose kubeconfig names it (serving the API server's own certificate, which names 127.0.0.1, so the
 * client verifies it as it would the server): every request goes through unchanged (the client's own token), and a
 * test can do to the watches of one resource what a real API server does at its watch timeout:
 * end them cleanly, and then, holding the client's new watch until it says so, let the world move on
 * first. The 410 Gone the API server then answers (HTTP status or a watch ERROR event) is recorded.
 * Where the API server goes away (a restart), the client's connection is cut, not ended, as a real
 * server's death looks to a client.
 */
export interface WatchProxy {
  /** `https://127.0.0.1:<port>`: the server for the client's kubeconfig. */
  readonly url: string;
  /** Ends every open watch whose path starts with `prefix` and holds new ones until `release()`. */
  hold(prefix: string): void;
  /** Lets the held watch requests go to the API server, and new ones straight through. */
  release(): void;
  /** How many watch requests of the held prefix wait now. */
  readonly waiting: number;
  /** Path of every watch the API server answered with 410 Gone (resource version expired), in order. */
  readonly expired: readonly string[];
  close(): Promise<void>;
}

const isWatch = (url: string) => /[?&]watch=(true|1)(&|$)/.test(url);
const GONE = /"code":\s*410\b/;

export async function startWatchProxy(target: string, tls: { readonly ca: string; readonly cert: string; readonly key: string }): Promise<WatchProxy> {
  const ca = tls.ca;
  const upstream = new URL(target);
  let held: string | undefined;
  const queue: (() => void)[] = [];
  const open = new Set<{ path: string; res: ServerResponse; up: ClientRequest; ending: boolean }>();
  const expired: string[] = [];

  const forward = (rq: IncomingMessage, rs: ServerResponse, body: Buffer) => {
    const path = rq.url!;
    const headers = { ...rq.headers, host: upstream.host };
    const up = httpsRequest({ hostname: upstream.hostname, port: upstream.port, method: rq.method, path, headers, ca }, (ur) => {
      rs.writeHead(ur.statusCode ?? 502, ur.headers);
      const watch = isWatch(path);
      const entry = { path, res: rs, up, ending: false };
      if (watch) open.add(entry);
      if (watch && ur.statusCode === 410) expired.push(path);
      // The end of the previous chunk too: a status may be split between two.
      let tail = "";
      ur.on("data", (chunk: Buffer) => {
        if (entry.ending) return;
        const text = tail + chunk.toString("utf8");
        if (watch && GONE.test(text)) expired.push(path);
        tail = text.slice(-16);
        rs.write(chunk);
      });
      ur.on("end", () => {
        open.delete(entry);
        if (!entry.ending) rs.end();
      });
      // The API server died mid-response: the client must see a broken connection, not a clean end.
      ur.on("close", () => {
        open.delete(entry);
        if (!ur.complete && !entry.ending) rs.destroy();
      });
    });
    up.on("error", () => rs.destroy());
    up.end(body);
  };

  const server = createServer({ cert: tls.cert, key: tls.key }, (rq, rs) => {
    const chunks: Buffer[] = [];
    rq.on("data", (c: Buffer) => chunks.push(c));
    rq.on("end", () => {
      const go = () => forward(rq, rs, Buffer.concat(chunks));
      if (held !== undefined && isWatch(rq.url!) && rq.url!.startsWith(held)) queue.push(go);
      else go();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `https://127.0.0.1:${port}`,
    hold(prefix) {
      held = prefix;
      for (const w of [...open].filter((x) => x.path.startsWith(prefix))) {
        open.delete(w);
        w.ending = true;
        // A clean end of the chunked stream (what the client sees when the server's watch timeout
        // ends it), then the upstream watch goes.
        w.res.end(() => w.up.destroy());
      }
    },
    release() {
      held = undefined;
      for (const go of queue.splice(0)) go();
    },
    get waiting() {
      return queue.length;
    },
    expired,
    async close() {
      for (const w of open) w.res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
