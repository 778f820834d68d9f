#!/usr/bin/env bash
# npm run setup: everything the checks need on a fresh Debian machine. Idempotent; a warm run
# installs and builds nothing.
#   Debian: openssl (throw-away sealing keys in the secret tests), shellcheck (the node boot scripts),
#   redis-server (Argo CD's cache in the GitOps e2e), util-linux's unshare (preinstalled: the GitOps e2e runs
#   the sealed-secrets controller in a mount namespace), python3 with venv (Semgrep, from PyPI)
#   Go module proxy: etcd, kube-apiserver, Prometheus and promtool, argo-eval, otelcol, kubeseal,
#   kubeconform, and for the e2e kube-scheduler, kube-controller-manager, kwok and Argo Rollouts'
#   controller and kubectl plugin, and for the GitOps e2e kubectl, Argo CD and the sealed-secrets controller; Trivy, actionlint, kube-score
#   (pinned in tools/versions.json and tools/*/go.mod); CRD manifests
#   PyPI: Semgrep and checkov, each into a virtual environment in the cache; the wheel of the Google
#   provider bindings for cdktn (scripts/pypi-bindings.ts, npm ci's postinstall)
set -euo pipefail
cd "$(dirname "$0")/.."

# Some modules we build declare a newer Go than a machine's own: the go command fetches this
# toolchain from the Go module proxy (once; about 76 MB). toolchain/build.ts sets the same for
# every go command it runs; tools/versions.json (goToolchain) is the one place it is pinned.
GOTOOLCHAIN="$(node -p 'require("./tools/versions.json").goToolchain.version')"
export GOTOOLCHAIN
go version

missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
openssl version >/dev/null
shellcheck --version >/dev/null
redis-server --version >/dev/null
python3 -c 'import ensurepip, venv'

# After the Debian packages: npm ci's postinstall fetches the Google provider bindings with python3's pip.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
# The BitActor operator is its own package (its image installs only it): operator/package-lock.json.
if [ ! -d operator/node_modules ] || [ operator/package-lock.json -nt operator/node_modules/.package-lock.json ]; then
  npm ci --prefix operator --no-audit --no-fund
fi
# Idempotent; mends an interrupted postinstall.
node --import tsx scripts/pypi-bindings.ts

node --import tsx scripts/tools.ts
