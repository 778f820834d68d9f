//go:build tools

// Package tools pins the prometheus-operator the end-to-end tests run (npm run e2e, npm run
// e2e:gitops): the real operator turns the rendered Prometheus, PodMonitors and PrometheusRules into
// the configuration of the gate's Prometheus. Same release as tools/versions.json addons.prometheus-operator.
package tools

import (
	_ "github.com/prometheus-operator/prometheus-operator/cmd/operator"
)
