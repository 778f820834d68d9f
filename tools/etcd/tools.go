//go:build tools

// Package tools pins etcd, the store of every throw-away API server (npm run validate:server,
// npm run e2e), at the version in tools/versions.json: go.etcd.io/etcd/server/v3 is etcd's own
// main package (its main.go calls etcdmain.Main).
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)
