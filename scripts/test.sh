#!/usr/bin/env bash
# The one test command (npm test). Installs what it needs on a fresh machine, then runs:
# type check, the test suite (node's test runner), and the drift check.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm packages: exactly the lockfile.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# promtool (Debian's prometheus package) runs the gate's PromQL.
if ! command -v promtool >/dev/null 2>&1; then
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
promtool --version >/dev/null

# argo-eval: Argo Rollouts' own analysis code (version pinned in tools/argo-eval/go.mod), built once
# per version and source into a cache outside the repository.
cache="${XDG_CACHE_HOME:-$HOME/.cache}/bitactor-gitops"
key=$(cat tools/argo-eval/go.mod tools/argo-eval/go.sum tools/argo-eval/main.go | sha256sum | cut -c1-16)
export ARGO_EVAL="$cache/argo-eval-$key"
if [ ! -x "$ARGO_EVAL" ]; then
  mkdir -p "$cache"
  (cd tools/argo-eval && go build -trimpath -o "$ARGO_EVAL.tmp" . && mv "$ARGO_EVAL.tmp" "$ARGO_EVAL")
fi

npx tsc --noEmit -p .
node --import tsx --test --test-reporter=spec test/*.test.ts
npx tsx scripts/check.ts
