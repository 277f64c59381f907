#!/usr/bin/env bash
# Builds the Helm CLI and an OCI registry from upstream Go modules (no prebuilt downloads) into a
# cache folder outside the repository. Idempotent: a finished build is marked by a `.complete`
# stamp and reused.
#
# Helm v4 (helm.sh/helm/v4): the current major; the agent only runs `helm template` and
# `helm pull`, whose flags are the same as in v3.
# The registry is distribution's own `registry` command (github.com/distribution/distribution/v3),
# the reference OCI registry that Docker Hub, GHCR and Harbor build on.
#
#   KPLANE_HELM_VERSION      Helm release (default below)
#   KPLANE_REGISTRY_VERSION  distribution release
#   KPLANE_CACHE             cache root (default ~/.cache/kplane)
set -euo pipefail

HELM_VERSION="${KPLANE_HELM_VERSION:-v4.3.2}"
REGISTRY_VERSION="${KPLANE_REGISTRY_VERSION:-v3.1.2}"
CACHE="${KPLANE_CACHE:-$HOME/.cache/kplane}"
OUT="$CACHE/helm-$HELM_VERSION-registry-$REGISTRY_VERSION"
WORK="$CACHE/build-helm-$HELM_VERSION"

if [ -f "$OUT/.complete" ]; then
  echo "kplane: Helm $HELM_VERSION and registry $REGISTRY_VERSION cached in $OUT"
  exit 0
fi
mkdir -p "$CACHE"
if command -v flock >/dev/null; then
  exec 9>"$CACHE/.build-helm-$HELM_VERSION.lock"
  flock 9
  if [ -f "$OUT/.complete" ]; then
    echo "kplane: Helm $HELM_VERSION and registry $REGISTRY_VERSION cached in $OUT (built by another run)"
    exit 0
  fi
fi
command -v go >/dev/null || { echo "kplane: Go is needed to build helm and the registry from source; install Go 1.26+ (or set KPLANE_HELM to a helm binary)" >&2; exit 3; }

mkdir -p "$OUT" "$WORK"
# The machine is shared: build at low priority.
NICE="nice -n 10"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" CGO_ENABLED=0 GOFLAGS=-mod=mod
export GOCACHE="$WORK/gocache"
step() { echo "kplane: [$(date +%H:%M:%S)] $*"; }

# Neither module has replace directives, so `go install module/cmd@version` builds them as released.
if [ ! -x "$OUT/helm" ]; then
  step "building helm $HELM_VERSION (first time: a few minutes)"
  GOBIN="$WORK/bin" $NICE go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION -X helm.sh/helm/v4/internal/version.metadata=" \
    "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
  mv "$WORK/bin/helm" "$OUT/helm"
fi
if [ ! -x "$OUT/registry" ]; then
  step "building registry $REGISTRY_VERSION"
  GOBIN="$WORK/bin" $NICE go install -trimpath -ldflags "-s -w" \
    "github.com/distribution/distribution/v3/cmd/registry@$REGISTRY_VERSION"
  mv "$WORK/bin/registry" "$OUT/registry"
fi

"$OUT/helm" version --short
"$OUT/registry" --version
touch "$OUT/.complete"
rm -rf "$WORK"
step "done: $OUT ($(du -sh "$OUT" | cut -f1))"
