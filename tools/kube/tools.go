//go:build tools

// Package tools pins the Kubernetes commands this repository builds (harness/tools.ts):
// the API server for npm run validate:server, and the scheduler and controller manager that
// npm run e2e adds to it, and kubectl, which npm run e2e:gitops runs the README's bootstrap with.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
