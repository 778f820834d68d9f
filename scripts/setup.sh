#!/usr/bin/env bash
# npm run setup: everything the checks need on a fresh Debian machine. Idempotent; a warm run
# installs and builds nothing.
#   Debian: prometheus (promtool; the e2e's Prometheus), etcd-server (etcd for throw-away API servers),
#   openssl (throw-away sealing keys in the secret tests), shellcheck (the node boot scripts)
#   Go module proxy: argo-eval, otelcol, kubeseal, kubeconform, kube-apiserver, and for the e2e kube-scheduler,
#   kube-controller-manager, kwok and Argo Rollouts' controller (pinned in tools/); CRD manifests
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

missing=()
{ command -v promtool && command -v prometheus; } >/dev/null 2>&1 || missing+=(prometheus)
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
if [ ${#missing[@]} -gt 0 ]; then
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
promtool --version >/dev/null
prometheus --version >/dev/null
openssl version >/dev/null
shellcheck --version >/dev/null

npx tsx scripts/tools.ts
