#!/usr/bin/env bash
# Builds metrics-server from its upstream Go module (sigs.k8s.io/metrics-server, through the Go
# module proxy; no prebuilt downloads), into the same cache as build-k8s.sh. Idempotent: a
# finished build is marked by a `.complete` stamp and reused.
#
#   KPLANE_METRICS_SERVER_VERSION  metrics-server release (default below)
#   KPLANE_CACHE                   cache root (default ~/.cache/kplane)
#   KPLANE_KEEP_GOCACHE            1 keeps the Go build cache after a successful build
set -euo pipefail

MS_VERSION="${KPLANE_METRICS_SERVER_VERSION:-v0.9.0}"
CACHE="${KPLANE_CACHE:-$HOME/.cache/kplane}"
OUT="$CACHE/metrics-server-$MS_VERSION"
WORK="$CACHE/build-metrics-server-$MS_VERSION"

if [ -f "$OUT/.complete" ]; then
  echo "kplane: metrics-server $MS_VERSION cached in $OUT"
  exit 0
fi
# One build at a time: the cluster suite and `kplane dev up` may both ask at once.
mkdir -p "$CACHE"
if command -v flock >/dev/null; then
  exec 9>"$CACHE/.build-metrics-server-$MS_VERSION.lock"
  flock 9
  if [ -f "$OUT/.complete" ]; then
    echo "kplane: metrics-server $MS_VERSION cached in $OUT (built by another run)"
    exit 0
  fi
fi
command -v go >/dev/null || { echo "kplane: Go is needed to build metrics-server from source; install Go 1.26+ (or set KPLANE_METRICS_SERVER_BIN to the binary)" >&2; exit 3; }

mkdir -p "$OUT" "$WORK"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" CGO_ENABLED=0 GOFLAGS=-mod=mod
# A private build cache, deleted after a successful build (the module cache is Go's own).
export GOCACHE="$WORK/gocache"
step() { echo "kplane: [$(date +%H:%M:%S)] $*"; }

# The module has no replace directives, so `go install module@version` builds it as released.
step "building metrics-server $MS_VERSION"
# The version variable its own Makefile sets.
ldflags="-s -w -X k8s.io/client-go/pkg/version.gitVersion=$MS_VERSION"
GOBIN="$WORK/bin" nice go install -trimpath -ldflags "$ldflags" "sigs.k8s.io/metrics-server/cmd/metrics-server@$MS_VERSION"
mv "$WORK/bin/metrics-server" "$OUT/metrics-server"

"$OUT/metrics-server" --version || true
touch "$OUT/.complete"
[ "${KPLANE_KEEP_GOCACHE:-}" = 1 ] || rm -rf "$WORK"
step "done: $OUT ($(du -sh "$OUT" | cut -f1))"
