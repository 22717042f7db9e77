//go:build tools

// Package tools pins the Docker Engine that scripts/engine builds. Nothing here is
// compiled into the project: the blank imports only keep the requirements (and their
// go.sum lines) in this module so `go build` can find the packages.
package tools

import (
	_ "github.com/docker/docker/cmd/docker-proxy"
	_ "github.com/docker/docker/cmd/dockerd"
)
