//go:build tools

// Package tools pins the Argo CD the GitOps end-to-end test runs (npm run e2e:gitops): the same
// version as the Argo CD CRDs in tools/versions.json.
package tools

import (
	_ "github.com/argoproj/argo-cd/v3/cmd"
)
