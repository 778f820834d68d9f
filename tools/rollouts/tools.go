//go:build tools

// Package tools pins the Argo Rollouts controller the end-to-end test runs (npm run e2e):
// the same argo-rollouts version as tools/argo-eval and the CRDs in tools/versions.json.
package tools

import (
	_ "github.com/argoproj/argo-rollouts/cmd/rollouts-controller"
)
