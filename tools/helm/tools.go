//go:build tools

// Package tools pins Helm v4's CLI (helm.sh/helm/v4/cmd/helm) so `go mod tidy` keeps its dependencies.
package tools

import (
	_ "helm.sh/helm/v4/pkg/cmd"
	_ "k8s.io/client-go/plugin/pkg/client/auth"
)
