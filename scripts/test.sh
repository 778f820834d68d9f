#!/usr/bin/env bash
# The one test command (npm test). Installs what it needs on a fresh machine (scripts/setup.sh), then
# runs: type check, kubeconform over the rendered tree, a real API server's dry-run of it, the
# security policy gate over it (npm run policy), the gate
# end to end with the real Argo Rollouts controller (npm run e2e), the GitOps loop with a real
# Argo CD (npm run e2e:gitops), the test suite (node's test runner), and the drift check.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
npx tsc --noEmit -p .
node --import tsx scripts/validate.ts
node --import tsx scripts/validate-server.ts
node --import tsx scripts/policy.ts
node --import tsx scripts/e2e.ts
node --import tsx scripts/e2e-gitops.ts
node --import tsx --test --test-reporter=spec test/*.test.ts
node --import tsx scripts/check.ts
