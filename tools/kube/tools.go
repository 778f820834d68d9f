//go:build tools

// Package tools pins the Kubernetes commands this repository builds (see scripts/tools.sh).
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
