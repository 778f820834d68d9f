import type { NodeTuning } from "../inputs/types.ts";
import { stringify } from "yaml";
import { quantityUnits } from "./quantity.ts";

/**
 * The user data of an engine node on Amazon Linux 2023 (EKS-optimised AMI), as Karpenter takes it
 * in `EC2NodeClass.spec.userData`: MIME multipart, merged with the part Karpenter generates.
 * Karpenter's own `spec.kubelet` has no CPU or topology manager fields, so the kubelet settings
 * travel as a nodeadm `NodeConfig` (node.eks.aws/v1alpha1: `spec.kubelet.config` is merged into the
 * kubelet's KubeletConfiguration); kernel settings need a boot script.
 */

/** The MIME boundary; a line that cannot occur in either part. */
export const BOUNDARY = "BITACTOR-NODE-BOUNDARY";
/** Bytes of one 2 MiB hugepage. */
const PAGE_2MI = 2 * 1024 * 1024;

/** Bytes of a binary Kubernetes quantity as the catalog writes them (`8Gi`). */
export function quantityBytes(q: string): number {
  if (!/^[1-9][0-9]*(Ki|Mi|Gi|Ti)$/.test(q)) throw new Error(`"${q}" is not a whole binary quantity (e.g. 8Gi)`);
  return Number(quantityUnits(q));
}

/** 2 MiB pages for the given hugepage requests (each must be whole pages). */
export function hugepages2Mi(requests: readonly string[]): number {
  return requests.reduce((n, q) => {
    const bytes = quantityBytes(q);
    if (bytes % PAGE_2MI !== 0) throw new Error(`${q} is not a whole number of 2 MiB pages`);
    return n + bytes / PAGE_2MI;
  }, 0);
}

export interface NodeUserDataProps {
  readonly pool: string;
  readonly tuning: NodeTuning;
  /** 2 MiB hugepages the kernel reserves at boot: what every pod that may share the node requests together. */
  readonly hugepages: number;
}

/** The kernel command line the boot script adds (and checks for, so it reboots once). */
export function kernelArguments(p: NodeUserDataProps): string {
  const t = p.tuning;
  return [
    // managed_irq keeps device IRQs off the isolated CPUs; domain removes them from the scheduler's balancing.
    `isolcpus=managed_irq,domain,${t.isolatedCpus}`,
    `nohz_full=${t.isolatedCpus}`,
    `rcu_nocbs=${t.isolatedCpus}`,
    `irqaffinity=${t.reservedSystemCpus}`,
    // Reserved at boot, before memory fragments: a runtime reservation can come up short.
    "default_hugepagesz=2M",
    "hugepagesz=2M",
    `hugepages=${p.hugepages}`,
  ].join(" ");
}

/** The kubelet settings nodeadm merges into the kubelet's configuration. */
export function kubeletConfig(t: NodeTuning): Record<string, unknown> {
  return {
    cpuManagerPolicy: t.cpuManagerPolicy,
    topologyManagerPolicy: t.topologyManagerPolicy,
    topologyManagerScope: t.topologyManagerScope,
    reservedSystemCPUs: t.reservedSystemCpus,
  };
}

/** The boot script: MTU on every boot (a systemd unit), kernel arguments once (then one reboot). */
export function bootScript(p: NodeUserDataProps): string {
  const args = kernelArguments(p);
  return [
    "#!/bin/bash",
    `# BitActor node tuning for pool ${p.pool} (engine/catalog.yaml nodeTuning).`,
    "set -euo pipefail",
    "",
    `# MTU ${p.tuning.mtu} on every interface, on every boot (interfaces attached later included).`,
    "cat > /etc/systemd/system/bitactor-mtu.service <<'UNIT'",
    "[Unit]",
    `Description=BitActor: MTU ${p.tuning.mtu} on every network interface`,
    "After=network-online.target",
    "Wants=network-online.target",
    "[Service]",
    "Type=oneshot",
    // `$$` is systemd's escape for a literal `$`.
    `ExecStart=/bin/sh -c 'for n in $$(ls /sys/class/net); do [ "$$n" = lo ] || ip link set dev "$$n" mtu ${p.tuning.mtu}; done'`,
    "[Install]",
    "WantedBy=multi-user.target",
    "UNIT",
    "systemctl daemon-reload",
    "systemctl enable --now bitactor-mtu.service",
    "",
    "# CPU isolation and hugepages are kernel boot arguments: add them once and reboot once;",
    "# the kubelet starts after the reboot with the settings in place.",
    `args="${args}"`,
    'if ! grep -q -- "isolcpus=" /proc/cmdline; then',
    '  grubby --update-kernel=ALL --args="$args"',
    "  systemctl reboot",
    "fi",
    "",
  ].join("\n");
}

/** The whole user data: the NodeConfig part, then the boot script. */
export function al2023UserData(p: NodeUserDataProps): string {
  const nodeConfig = stringify({ apiVersion: "node.eks.aws/v1alpha1", kind: "NodeConfig", spec: { kubelet: { config: kubeletConfig(p.tuning) } } }, { lineWidth: 0 });
  return [
    "MIME-Version: 1.0",
    `Content-Type: multipart/mixed; boundary="${BOUNDARY}"`,
    "",
    `--${BOUNDARY}`,
    "Content-Type: application/node.eks.aws",
    "",
    nodeConfig.trimEnd(),
    "",
    `--${BOUNDARY}`,
    'Content-Type: text/x-shellscript; charset="us-ascii"',
    "",
    bootScript(p).trimEnd(),
    "",
    `--${BOUNDARY}--`,
    "",
  ].join("\n");
}
