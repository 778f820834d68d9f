import { createServer } from "node:http";
import { hostname } from "node:os";
import { CoordinationV1Api, KubeConfig } from "@kubernetes/client-node";
import { Controller } from "./controller.ts";
import { elector } from "./lease.ts";
import { Metrics } from "./metrics.ts";

/**
 * The BitActor operator. Configuration is the environment its Deployment sets (rendered per stage):
 *   BITACTOR_CLUSTER       the BitActorCluster to reconcile (the stage id)
 *   BITACTOR_NAMESPACE     the stage's namespace (default: the stage id)
 *   PROMETHEUS_URL         the stage's Prometheus (its gate's in-cluster one)
 *   POD_NAMESPACE          where its Lease lives
 *   POD_NAME               its identity in the Lease (default: the host name)
 *   LEASE_NAME             default bitactor-operator
 *   EVENTS_NAMESPACE       default "default": the API server accepts an Event about a cluster-scoped object
 *                          only there (core/v1 Event validation: involvedObject.namespace must match)
 *   METRICS_ADDRESS        host:port of /metrics, /healthz and /readyz (default 0.0.0.0:8080)
 *   KUBECONFIG             outside a pod; in a pod the service account is used.
 */
function required(name: string): string {
  const v = process.env[name];
  if (!v) {
    console.error(`bitactor-operator: ${name} is not set (see operator/README.md)`);
    process.exit(2);
  }
  return v;
}

const cluster = required("BITACTOR_CLUSTER");
const namespace = process.env.BITACTOR_NAMESPACE || cluster;
const prometheusUrl = required("PROMETHEUS_URL");
const leaseNamespace = required("POD_NAMESPACE");
const identity = process.env.POD_NAME || hostname();
const leaseName = process.env.LEASE_NAME || "bitactor-operator";
const eventsNamespace = process.env.EVENTS_NAMESPACE || "default";
const [host, port] = (process.env.METRICS_ADDRESS || "0.0.0.0:8080").split(/:(?=[0-9]+$)/) as [string, string];

const log = (message: string) => console.log(JSON.stringify({ time: new Date().toISOString(), identity, message }));

const kc = new KubeConfig();
kc.loadFromDefault();
const metrics = new Metrics();
const controller = new Controller({ kc, cluster, namespace, eventsNamespace, prometheusUrl, identity, metrics, log });
const lease = elector(kc.makeApiClient(CoordinationV1Api), leaseNamespace, leaseName, identity, undefined, log);

const server = createServer((req, res) => {
  if (req.url === "/metrics") {
    // A scrape that cannot be answered (process.memoryUsage needs /proc) is the scrape's failure,
    // never the controller's: a throw here would end the process mid-reconcile.
    let body: string;
    try {
      body = metrics.render();
    } catch (e) {
      res.writeHead(500, { "content-type": "text/plain" }).end(`metrics: ${(e as Error).message}\n`);
      return;
    }
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    res.end(body);
  } else if (req.url === "/healthz" || req.url === "/readyz") {
    res.writeHead(200).end("ok\n");
  } else res.writeHead(404).end();
});
server.listen(Number(port), host, () => log(`serving /metrics on ${host}:${port}`));

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping`);
  await controller.stop();
  await lease.release();
  server.close();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

log(`candidate for Lease ${leaseNamespace}/${leaseName}, reconciling BitActorCluster ${cluster} (namespace ${namespace})`);
await lease.lead((why) => {
  // A replica that may have lost the Lease must not act on it: stop and let the kubelet restart it
  // as a candidate (client-go's leaderelection does the same with OnStoppedLeading).
  log(`lost leadership: ${why}`);
  process.exit(1);
});
if (!stopping) {
  metrics.setLeader(true);
  await controller.start();
}
