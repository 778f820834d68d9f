// The harness's port claims: servers of concurrent test processes never get the same port, and no
// port is one the kernel hands to outgoing connections (see freePorts in harness/cluster/process.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync, existsSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { claimPorts, freePorts, harnessPortRange } from "../harness/cluster/process.ts";

const scratch = () => mkdtempSync(join(tmpdir(), "bitactor-ports-test-"));

test("the harness's ports lie outside the kernel's ephemeral range, on the larger side", () => {
  const dir = scratch();
  try {
    const file = join(dir, "range");
    writeFileSync(file, "32768\t60999\n");
    assert.deepEqual(harnessPortRange(file), [10000, 32767]);
    writeFileSync(file, "10000 20000\n");
    assert.deepEqual(harnessPortRange(file), [20001, 65535]);
    writeFileSync(file, "1024 65000\n");
    assert.throws(() => harnessPortRange(file), new RegExp(`${file.replace(/[/.]/g, "\\$&")} \\(1024 65000\\) leaves fewer than 1000 ports`));
    const [lo, hi] = harnessPortRange();
    const [eLo, eHi] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number) as [number, number];
    assert.ok(hi < eLo || lo > eHi, `${lo}-${hi} overlaps the ephemeral range ${eLo}-${eHi}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("freePorts gives distinct bindable ports in that range, each claimed by this process", async () => {
  const ports = await freePorts(30);
  const [lo, hi] = harnessPortRange();
  assert.equal(new Set(ports).size, 30);
  for (const p of ports) {
    assert.ok(p >= lo && p <= hi, `${p} outside ${lo}-${hi}`);
    assert.equal(readFileSync(join(tmpdir(), "bitactor-harness-ports", String(p)), "utf8"), String(process.pid));
  }
});

test("a port another live process claimed, or a server holds, is never handed out", async () => {
  const dir = scratch();
  const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  let busy: Server | undefined;
  try {
    // Three candidate ports: one claimed by a live process, one held by a listener, one free.
    const base = 10000 + Math.floor(Math.random() * 20000);
    writeFileSync(join(dir, String(base)), String(other.pid));
    busy = createServer();
    await new Promise<void>((r) => busy!.listen(base + 1, "127.0.0.1", () => r()));
    assert.deepEqual(await claimPorts(1, [base, base + 2], dir), [base + 2]);
    // The listener's port was tried and released again; the live claim stays the other's.
    assert.deepEqual(readdirSync(dir).sort(), [String(base), String(base + 2)].sort());
    assert.equal(readFileSync(join(dir, String(base)), "utf8"), String(other.pid));
    // Nothing left: the error says how many were found and where the claims are, and keeps none.
    await assert.rejects(claimPorts(1, [base, base + 1], dir), new RegExp(`only 0 of 1 loopback ports in ${base}-${base + 1} are free and unclaimed \\(claims in ${dir.replace(/[/.]/g, "\\$&")}\\)`));
  } finally {
    other.kill("SIGKILL");
    busy?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a claim left by a killed process is swept once it is old, never while fresh", async () => {
  const dir = scratch();
  try {
    const base = 10000 + Math.floor(Math.random() * 20000);
    const dead = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    await new Promise((r) => dead.once("exit", r));
    writeFileSync(join(dir, String(base)), String(dead.pid));
    // Fresh: it might be a claim being made right now, so it stays.
    await assert.rejects(claimPorts(1, [base, base], dir), /only 0 of 1/);
    assert.ok(existsSync(join(dir, String(base))));
    const hourAgo = new Date(Date.now() - 3600_000);
    utimesSync(join(dir, String(base)), hourAgo, hourAgo);
    assert.deepEqual(await claimPorts(1, [base, base], dir), [base]);
    assert.equal(readFileSync(join(dir, String(base)), "utf8"), String(process.pid));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
