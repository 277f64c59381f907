#!/usr/bin/env bash
# Builds the real Kubernetes control-plane binaries from upstream Go modules (no prebuilt
# downloads), into a cache folder outside the repository. Idempotent: a finished build is
# marked by a `.complete` stamp and reused.
#
#   KPLANE_K8S_VERSION   Kubernetes release (default below)
#   KPLANE_ETCD_VERSION  etcd release
#   KPLANE_KWOK_VERSION  KWOK release
#   KPLANE_CACHE         cache root (default ~/.cache/kplane)
#   KPLANE_KEEP_GOCACHE  1 keeps the Go build cache (about 3.8 GB) after a successful build
set -euo pipefail

K8S_VERSION="${KPLANE_K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${KPLANE_ETCD_VERSION:-v3.6.8}"
KWOK_VERSION="${KPLANE_KWOK_VERSION:-v0.7.0}"
CACHE="${KPLANE_CACHE:-$HOME/.cache/kplane}"
OUT="$CACHE/k8s-$K8S_VERSION"
WORK="$CACHE/build-$K8S_VERSION"

if [ -f "$OUT/.complete" ]; then
  echo "kplane: Kubernetes $K8S_VERSION binaries cached in $OUT"
  exit 0
fi
# One build at a time: the cluster suite, the VS Code host and `kplane dev up` may all ask at once.
mkdir -p "$CACHE"
if command -v flock >/dev/null; then
  exec 9>"$CACHE/.build-$K8S_VERSION.lock"
  flock 9
  if [ -f "$OUT/.complete" ]; then
    echo "kplane: Kubernetes $K8S_VERSION binaries cached in $OUT (built by another run)"
    exit 0
  fi
fi
command -v go >/dev/null || { echo "kplane: Go is needed to build kube-apiserver from source; install Go 1.26+ (or set KPLANE_K8S_BIN to a folder with the binaries)" >&2; exit 3; }

mkdir -p "$OUT" "$WORK"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" CGO_ENABLED=0 GOFLAGS=-mod=mod
# A private build cache: it grows to about 3.8 GB for these binaries and is useless once they
# exist, so it is deleted after a successful build (the module cache, ~1.3 GB, is Go's own).
export GOCACHE="$WORK/gocache"
step() { echo "kplane: [$(date +%H:%M:%S)] $*"; }

minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
staging="v0.${K8S_VERSION#v1.}"

# --- kube-apiserver, kube-controller-manager, kube-scheduler, kubectl -----------------------
# k8s.io/kubernetes replaces its staging modules with local paths, so `go install` refuses it;
# a build module requires it and points each staging module at its published v0.x twin.
mod="$WORK/kubernetes"
mkdir -p "$mod"
if [ ! -f "$mod/go.mod" ]; then
  step "resolving k8s.io/kubernetes $K8S_VERSION"
  gomod=$(curl -fsSL "$(go env GOPROXY | cut -d, -f1)/k8s.io/kubernetes/@v/$K8S_VERSION.mod" 2>/dev/null || true)
  if [ -z "$gomod" ]; then
    # Fall back to go's own download when the proxy URL cannot be read directly.
    (cd "$mod" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" >/dev/null)
    gomod=$(cat "$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$K8S_VERSION.mod")
  fi
  {
    echo "module kplane.dev/k8s-build"
    echo
    echo "go 1.26.0"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "$gomod" | sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#replace \1 => \1 '"$staging"'#p'
  } > "$mod/go.mod"
  cat > "$mod/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  step "downloading modules (first time: a few minutes)"
  (cd "$mod" && go mod tidy -e >/dev/null 2>&1 || true; go mod download)
fi
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  if [ ! -x "$OUT/$cmd" ]; then
    step "building $cmd $K8S_VERSION"
    (cd "$mod" && go build -trimpath -ldflags "$ldflags" -o "$OUT/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd" && mv "$OUT/$cmd.tmp" "$OUT/$cmd")
  fi
done

# --- etcd --------------------------------------------------------------------------------------
if [ ! -x "$OUT/etcd" ]; then
  step "building etcd $ETCD_VERSION"
  emod="$WORK/etcd"; mkdir -p "$emod"
  cat > "$emod/go.mod" <<GO
module kplane.dev/etcd-build

go 1.26.0

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
GO
  cat > "$emod/main.go" <<'GO'
// etcd's own entry point, wrapped so that it builds from the published server module.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  (cd "$emod" && go mod tidy && go build -trimpath -ldflags "-s -w" -o "$OUT/etcd.tmp" . && mv "$OUT/etcd.tmp" "$OUT/etcd")
fi

# --- kwok ----------------------------------------------------------------------------------------
if [ ! -x "$OUT/kwok" ]; then
  step "building kwok $KWOK_VERSION"
  GOBIN="$WORK/bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  mv "$WORK/bin/kwok" "$OUT/kwok"
fi

"$OUT/kube-apiserver" --version
touch "$OUT/.complete"
[ "${KPLANE_KEEP_GOCACHE:-}" = 1 ] || rm -rf "$WORK"
step "done: $OUT ($(du -sh "$OUT" | cut -f1))"
