#!/usr/bin/env bash
# The one test command (npm test). Installs what it needs on a fresh machine (scripts/setup.sh), then
# runs: type check, kubeconform over the rendered tree, a real API server's dry-run of it, the
# security policy gate over it (npm run policy), kube-score over it against its reviewed exceptions
# (npm run kube-score), Trivy and Semgrep (npm run scan), our rules and checkov over the
# infrastructure modules (npm run infra:check), the gate end to end with the real
# Argo Rollouts controller (npm run e2e), the operator over a whole region beside the real Prometheus
# (npm run e2e:operator), the GitOps loop with a real Argo CD (npm run e2e:gitops)
# with the test suite (node's test runner; npm run layers is one of its tests) beside its end, and
# the drift check.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
npx tsc --noEmit -p .
npx tsc --noEmit -p operator
node --import tsx scripts/validate.ts
node --import tsx scripts/validate-server.ts
node --import tsx scripts/policy.ts
node --import tsx scripts/kube-score.ts
node --import tsx scripts/scan.ts
node --import tsx scripts/infra-check.ts
# The two end-to-end tests spend most of their time waiting on real analysis windows: they run side
# by side (their programs claim loopback ports apart: harness/cluster/process.ts); once the gate's
# e2e is done the operator's runs (about 8 min), then the test suite (about 14 min) while the GitOps
# one waits (it takes about 32 min).
# Their reports follow in order, the test suite's last: CI reads its summary.
gitops_log="$(mktemp)"
unit_log="$(mktemp)"
node --import tsx scripts/e2e-gitops.ts >"$gitops_log" 2>&1 &
gitops_pid=$!
e2e_status=0
node --import tsx scripts/e2e.ts || e2e_status=$?
operator_status=0
node --import tsx scripts/e2e-operator.ts || operator_status=$?
unit_status=0
node --import tsx --test --test-reporter=spec test/*.test.ts >"$unit_log" 2>&1 || unit_status=$?
gitops_status=0
wait "$gitops_pid" || gitops_status=$?
cat "$gitops_log" "$unit_log"
rm -f "$gitops_log" "$unit_log"
if [ "$e2e_status" -ne 0 ] || [ "$operator_status" -ne 0 ] || [ "$gitops_status" -ne 0 ] || [ "$unit_status" -ne 0 ]; then
  echo "npm run e2e exited $e2e_status, npm run e2e:operator exited $operator_status, npm run e2e:gitops exited $gitops_status, the test suite exited $unit_status" >&2
  exit 1
fi
node --import tsx scripts/check.ts
