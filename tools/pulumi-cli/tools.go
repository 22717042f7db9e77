//go:build tools

// Package tools pins the Pulumi CLI that scripts/testbed builds. Nothing here
// is compiled into the project: the blank import only keeps the requirement
// (and its go.sum lines) in this module so `go build` can find the package.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
