// The metric contract's HTTP server in its own thread (contract-fixture.ts serveContract says why).
import { parentPort, workerData } from "node:worker_threads";
import { listenContract, type ContractData } from "./contract-fixture.ts";

const { address } = await listenContract(workerData as ContractData);
parentPort!.postMessage({ address });
