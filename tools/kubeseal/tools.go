//go:build tools

// Package tools pins kubeseal (npm run seal, the secret tests) at the sealed-secrets release whose
// CRD tools/versions.json names.
package tools

import (
	_ "github.com/bitnami/sealed-secrets/cmd/kubeseal"
)
