/**
 * How patient a liveness probe is, for every long-running container we render (semantics:
 * kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes).
 * A failed readiness probe only takes the pod out of its Services until its next success; a failed
 * liveness probe restarts the container, and a restarted trading process loses its book and its
 * sessions. So liveness never repeats readiness's work: it only asks whether the process still
 * accepts a TCP connection, every 10 s, 5 s to answer (a host busy in a market burst answers late),
 * and restarts only after 6 failures in a row: about a minute in which the process did not even
 * accept a connection. A stall of seconds is readiness's business, never a restart.
 */
export const LIVENESS = { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 } as const;
