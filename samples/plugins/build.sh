#!/bin/sh
# Rebuilds the plugin-check fixtures from the harness sources in tests/plugin-harness.
# Needs Go with cgo and a C compiler; modules come through the module proxy.
# Usage: samples/plugins/build.sh   (from anywhere; writes next to this script)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../tests/plugin-harness" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -R "$src/." "$work/"
export GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local CGO_ENABLED=1
(cd "$work/loader" && go build -trimpath "-ldflags=-s -w" -o "$here/host" .)
(cd "$work/plugins/greeter" && go build -trimpath "-ldflags=-s -w" -buildmode=plugin -o "$here/greeter.so" .)
(cd "$work/plugins/olderrors" && go build -trimpath "-ldflags=-s -w" -buildmode=plugin -o "$here/olderrors.so" .)
go version > "$here/GO_VERSION"
