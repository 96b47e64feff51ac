#!/usr/bin/env bash
# Builds a real kube-apiserver and etcd from the Go module proxy, for the
# integration tests under test/k8s ("envtest for Node").
#
# Binaries are cached OUTSIDE the git tree, keyed by version:
#   ${PALISADE_CACHE:-$HOME/.cache/palisade}/controlplane/<k8s-version>/kube-apiserver
#   ${PALISADE_CACHE:-$HOME/.cache/palisade}/controlplane/etcd-<etcd-version>/etcd
# and are built only when missing, so a warm run takes well under a second.
#
# Environment:
#   PALISADE_K8S_VERSION   k8s.io/kubernetes release to build (default below)
#   PALISADE_ETCD_VERSION  go.etcd.io/etcd/server/v3 release to build (default below)
#   PALISADE_CACHE         cache root (default $HOME/.cache/palisade)
#
# Options:
#   --print-config  print k8s-version=, etcd-version=, kube-apiserver=<path>
#                   and etcd=<path> lines and exit (without building)
#
# A cold build needs the Go toolchain and network access to the Go module
# proxy; on 2 cores it takes a long while (see README in the test report).
set -euo pipefail

# Newest v1.33 patch: within the supported skew of kubectl v1.32.
K8S_VERSION="${PALISADE_K8S_VERSION:-v1.33.13}"
# Newest v3.6 patch (the Debian etcd 3.4 is too old for kube-apiserver 1.33).
ETCD_VERSION="${PALISADE_ETCD_VERSION:-v3.6.16}"

LOG_TAG=controlplane/build
# shellcheck source=../support/script-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/script-common.sh"
CACHE_ROOT="$PALISADE_CACHE_ROOT/controlplane"
APISERVER_BIN="$CACHE_ROOT/$K8S_VERSION/kube-apiserver"
ETCD_BIN="$CACHE_ROOT/etcd-$ETCD_VERSION/etcd"

if [[ "${1:-}" == "--print-config" ]]; then
  printf 'k8s-version=%s\netcd-version=%s\nkube-apiserver=%s\netcd=%s\n' \
    "$K8S_VERSION" "$ETCD_VERSION" "$APISERVER_BIN" "$ETCD_BIN"
  exit 0
elif [[ $# -gt 0 ]]; then
  die "unknown argument '$1' (usage: $0 [--print-config])"
fi

[[ "$K8S_VERSION" =~ ^v1\.([0-9]+)\.[0-9]+$ ]] ||
  die "PALISADE_K8S_VERSION must look like v1.33.13 (a released k8s.io/kubernetes version), got '$K8S_VERSION'"
K8S_MINOR="${BASH_REMATCH[1]}"
STAGING_VERSION="v0.${K8S_VERSION#v1.}" # v1.33.13 -> v0.33.13
[[ "$ETCD_VERSION" =~ ^v3\.[0-9]+\.[0-9]+$ ]] ||
  die "PALISADE_ETCD_VERSION must look like v3.6.16, got '$ETCD_VERSION'"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }
T_START="$(now)"

if [[ -x "$APISERVER_BIN" && -x "$ETCD_BIN" ]]; then
  log "cached: $APISERVER_BIN"
  log "cached: $ETCD_BIN"
  log "nothing to build ($(elapsed "$T_START"))"
  exit 0
fi

command -v go >/dev/null 2>&1 ||
  die "'go' was not found on PATH. Building kube-apiserver ($K8S_VERSION) and etcd ($ETCD_VERSION) for the k8s integration tests needs the Go toolchain (Go >= 1.26 for the defaults: etcd v3.6.16's go.mod says go 1.26.0). Install Go, or put prebuilt binaries at:
  $APISERVER_BIN
  $ETCD_BIN"
for tool in awk sed mktemp; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' was not found on PATH (needed by $0)"
done

log "go: $(go version)"
mkdir -p "$CACHE_ROOT"

# Serialise concurrent builds (e.g. a test run and a manual run).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE_ROOT/.build.lock"
  if ! flock -n 9; then
    log "another build holds $CACHE_ROOT/.build.lock; waiting for it"
    flock 9
  fi
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/palisade-controlplane-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -mod=mod"
export GOWORK=off

build_apiserver() {
  local t0 dir gomod staging mod godebug goline
  t0="$(now)"
  dir="$WORK/kube-apiserver"
  mkdir -p "$dir"
  log "kube-apiserver $K8S_VERSION: reading k8s.io/kubernetes@$K8S_VERSION go.mod"
  gomod="$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
  [[ -n "$gomod" && -f "$gomod" ]] || die "could not download the go.mod of k8s.io/kubernetes@$K8S_VERSION"

  # Every staging module that k8s.io/kubernetes replaces with ./staging/src/...
  # is published as its own module at v0.<minor>.<patch>.
  staging="$(sed -n 's#^[[:space:]]*\(replace[[:space:]]\{1,\}\)\{0,1\}\(k8s\.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/src/.*$#\2#p' "$gomod" | sort -u)"
  [[ -n "$staging" ]] || die "found no './staging/src' replace directives in $gomod"
  goline="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$gomod" | head -n1)"
  godebug="$(grep -E '^godebug[[:space:]]' "$gomod" || true)"
  log "kube-apiserver $K8S_VERSION: replacing $(wc -l <<<"$staging" | tr -d ' ') staging modules with $STAGING_VERSION"

  {
    echo "module palisade.local/controlplane/kube-apiserver"
    echo
    echo "go ${goline:-1.24.0}"
    echo
    if [[ -n "$godebug" ]]; then
      echo "$godebug"
      echo
    fi
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    while IFS= read -r mod; do
      echo "	$mod => $mod $STAGING_VERSION"
    done <<<"$staging"
    echo ")"
  } >"$dir/go.mod"

  log "kube-apiserver $K8S_VERSION: resolving dependencies"
  (cd "$dir" && go get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION") ||
    die "resolving k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION failed (wrapper module: $dir/go.mod)"

  local build_date ldflags
  build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$K8S_VERSION"
    ldflags+=" -X $pkg.gitMajor=1"
    ldflags+=" -X $pkg.gitMinor=$K8S_MINOR"
    ldflags+=" -X $pkg.gitTreeState=clean"
    ldflags+=" -X $pkg.buildDate=$build_date"
  done

  log "kube-apiserver $K8S_VERSION: go build (slow on a cold cache: many minutes)"
  mkdir -p "$(dirname "$APISERVER_BIN")"
  (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$APISERVER_BIN.tmp" k8s.io/kubernetes/cmd/kube-apiserver) ||
    die "go build of kube-apiserver $K8S_VERSION failed with $(go version)"
  mv -f "$APISERVER_BIN.tmp" "$APISERVER_BIN"
  log "kube-apiserver $K8S_VERSION: built $APISERVER_BIN in $(elapsed "$t0")"
}

build_etcd() {
  local t0 dir
  t0="$(now)"
  dir="$WORK/etcd"
  mkdir -p "$dir"
  # go.etcd.io/etcd/server/v3 (its main.go at the module root) is package main.
  cat >"$dir/go.mod" <<EOF
module palisade.local/controlplane/etcd

go 1.24.0

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
EOF
  log "etcd $ETCD_VERSION: resolving dependencies"
  (cd "$dir" && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION") ||
    die "resolving go.etcd.io/etcd/server/v3@$ETCD_VERSION failed (wrapper module: $dir/go.mod)"
  log "etcd $ETCD_VERSION: go build"
  mkdir -p "$(dirname "$ETCD_BIN")"
  # etcd's Version is a constant; only GitSHA is settable.
  (cd "$dir" && go build -trimpath \
    -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=module-$ETCD_VERSION" \
    -o "$ETCD_BIN.tmp" go.etcd.io/etcd/server/v3) ||
    die "go build of etcd $ETCD_VERSION failed with $(go version)"
  mv -f "$ETCD_BIN.tmp" "$ETCD_BIN"
  log "etcd $ETCD_VERSION: built $ETCD_BIN in $(elapsed "$t0")"
}

[[ -x "$ETCD_BIN" ]] || build_etcd
[[ -x "$APISERVER_BIN" ]] || build_apiserver

log "version check: $("$APISERVER_BIN" --version 2>&1 | head -n1); $("$ETCD_BIN" --version 2>&1 | head -n1)"
log "done in $(elapsed "$T_START")"
