//go:build tools

// Package tools pins the Argo Rollouts controller the end-to-end tests run (npm run e2e,
// npm run e2e:gitops) and its kubectl plugin, with which the GitOps e2e promotes as the README
// tells an operator to: the same argo-rollouts version as tools/argo-eval and the CRDs in
// tools/versions.json.
package tools

import (
	_ "github.com/argoproj/argo-rollouts/cmd/kubectl-argo-rollouts"
	_ "github.com/argoproj/argo-rollouts/cmd/rollouts-controller"
)
