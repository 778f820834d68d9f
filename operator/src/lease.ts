import { type CoordinationV1Api, type V1Lease, ApiException, V1MicroTime } from "@kubernetes/client-node";
import { describeError } from "./errors.ts";

/**
 * Leader election on a coordination.k8s.io/v1 Lease, the way client-go's leaderelection package does
 * it (client-go/tools/leaderelection: LeaseDuration, RenewDeadline, RetryPeriod): every write carries
 * the resourceVersion read before it, so of two replicas writing at once the API server accepts one
 * and answers 409 to the other. A candidate judges expiry by when it last saw the record change on
 * its own clock, never by the holder's timestamps, so clock skew between nodes cannot elect two.
 */
export interface LeaseTiming {
  /** How long a record that stopped changing keeps its holder. */
  readonly leaseDurationSeconds: number;
  /** A leader that could not renew for this long steps down (before anyone may take over). */
  readonly renewDeadlineSeconds: number;
  /** How often a candidate tries and a leader renews. */
  readonly retryPeriodSeconds: number;
}

/**
 * 8 / 6 / 2 s: a standby takes over at most leaseDuration + retryPeriod = 10 s after the leader's
 * last renewal, inside the 15 s the region's order flow may go without a reconcile. client-go's
 * defaults (15 / 10 / 2 s) would take up to 17 s.
 */
export const TIMING: LeaseTiming = { leaseDurationSeconds: 8, renewDeadlineSeconds: 6, retryPeriodSeconds: 2 };

export interface Elector {
  /** Resolves once this replica leads; `onLost` runs if it stops leading. */
  lead(onLost: (why: string) => void): Promise<void>;
  /** Gives the Lease up (on shutdown) so the standby need not wait out its duration. */
  release(): Promise<void>;
}

export function elector(api: CoordinationV1Api, namespace: string, name: string, identity: string, timing: LeaseTiming = TIMING, log: (m: string) => void = () => {}): Elector {
  let leading = false;
  let lastRenew = 0;
  let observed: { key: string; at: number } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
  const record = (l: V1Lease) => `${l.spec?.holderIdentity ?? ""}/${l.spec?.renewTime ?? ""}/${l.metadata?.resourceVersion ?? ""}`;
  const mine = (l: V1Lease | undefined, transitions: number, acquire?: V1MicroTime): V1Lease => ({
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name, namespace, ...(l?.metadata?.resourceVersion ? { resourceVersion: l.metadata.resourceVersion } : {}) },
    // MicroTime: the API server parses six fractional digits, which V1MicroTime writes.
    spec: { holderIdentity: identity, leaseDurationSeconds: timing.leaseDurationSeconds, acquireTime: acquire ?? new V1MicroTime(), renewTime: new V1MicroTime(), leaseTransitions: transitions },
  });

  /** One attempt to acquire or renew; true when this replica holds the Lease afterwards. */
  async function tryOnce(): Promise<boolean> {
    let current: V1Lease | undefined;
    try {
      current = await api.readNamespacedLease({ name, namespace });
    } catch (e) {
      if (!(e instanceof ApiException && e.code === 404)) throw e;
    }
    if (!current) {
      try {
        await api.createNamespacedLease({ namespace, body: mine(undefined, 0) });
        return true;
      } catch (e) {
        if (e instanceof ApiException && e.code === 409) return false;
        throw e;
      }
    }
    const holder = current.spec?.holderIdentity ?? "";
    const key = record(current);
    if (observed?.key !== key) observed = { key, at: Date.now() };
    const expired = holder === "" || Date.now() - observed.at > (current.spec?.leaseDurationSeconds ?? timing.leaseDurationSeconds) * 1000;
    if (holder !== identity && !expired) return false;
    const transitions = (current.spec?.leaseTransitions ?? 0) + (holder === identity ? 0 : 1);
    // Read back, a MicroTime is the server's text (the client's serializer leaves the type alone).
    const acquired = holder === identity ? (current.spec?.acquireTime as unknown as string | undefined) : undefined;
    try {
      await api.replaceNamespacedLease({ name, namespace, body: mine(current, transitions, acquired ? new V1MicroTime(acquired) : undefined) });
      return true;
    } catch (e) {
      if (e instanceof ApiException && e.code === 409) return false;
      throw e;
    }
  }

  async function attempt(): Promise<boolean> {
    try {
      return await tryOnce();
    } catch (e) {
      log(`lease ${namespace}/${name}: ${describeError(e)}`);
      return false;
    }
  }

  return {
    async lead(onLost) {
      while (!stopped && !(await attempt())) await sleep(timing.retryPeriodSeconds);
      if (stopped) return;
      leading = true;
      lastRenew = Date.now();
      log(`lease ${namespace}/${name}: ${identity} leads`);
      const renew = async () => {
        if (!leading) return;
        if (await attempt()) lastRenew = Date.now();
        if (Date.now() - lastRenew > timing.renewDeadlineSeconds * 1000) {
          leading = false;
          onLost(`could not renew Lease ${namespace}/${name} for ${timing.renewDeadlineSeconds} s`);
          return;
        }
        timer = setTimeout(renew, timing.retryPeriodSeconds * 1000);
      };
      timer = setTimeout(renew, timing.retryPeriodSeconds * 1000);
    },
    async release() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (!leading) return;
      leading = false;
      try {
        const current = await api.readNamespacedLease({ name, namespace });
        if (current.spec?.holderIdentity !== identity) return;
        // client-go's ReleaseOnCancel: an empty holder is free at once for the standby.
        await api.replaceNamespacedLease({ name, namespace, body: { ...current, spec: { ...current.spec, holderIdentity: "", leaseDurationSeconds: 1 } } });
      } catch (e) {
        log(`lease ${namespace}/${name}: release failed: ${describeError(e)}`);
      }
    },
  };
}
