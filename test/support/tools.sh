#!/usr/bin/env bash
# Provisions the command-line tools the chart and dashboard tests need, only when missing, and prints where
# they are. Binaries live OUTSIDE the git tree:
#
#   helm        built from the Go module proxy (go install helm.sh/helm/v3/cmd/helm@$PALISADE_HELM_VERSION) with
#               the same -ldflags as Helm's Makefile (version, Kubernetes version from its client-go), into
#               ${PALISADE_CACHE:-$HOME/.cache/palisade}/bin/helm-<version>/helm
#   prometheus  Debian's package (apt-get install -y prometheus); promtool comes with it
#   promtool
#   crds        the third-party CRDs the chart's optional resources need (Prometheus Operator's ServiceMonitor and
#               PrometheusRule, cert-manager's Certificate/Issuer/ClusterIssuer), exactly as released, from the
#               Go module proxy's copies of those repositories (go mod download); prints one file path per line
#   h2spec      the HTTP/2 conformance tester, built from the Go module proxy (go install
#               github.com/summerwind/h2spec/cmd/h2spec@$PALISADE_H2SPEC_VERSION) into .../bin/h2spec-<version>/h2spec
#   istio-crds  Istio's CRDs (istio.io/api's kubernetes/customresourcedefinitions.gen.yaml, all in one file), kept
#               apart because the Istio tests install and remove them
#
# Usage: test/support/tools.sh helm|prometheus|promtool|crds|istio-crds|h2spec [...]   prints absolute paths, in order.
#
# Environment:
#   PALISADE_HELM_VERSION  Helm release to build (default below)
#   PALISADE_CACHE         cache root (default $HOME/.cache/palisade)
#   PALISADE_PROMETHEUS    use this prometheus binary instead of Debian's (promtool next to it)
#
# Fails loudly (exit 1, message on stderr) when a tool cannot be provisioned: no Go toolchain for helm, no apt-get
# or no root for prometheus.
set -euo pipefail

HELM_VERSION="${PALISADE_HELM_VERSION:-v3.22.0}"
PROMETHEUS_OPERATOR_VERSION="${PALISADE_PROMETHEUS_OPERATOR_VERSION:-v0.85.0}"
CERT_MANAGER_VERSION="${PALISADE_CERT_MANAGER_VERSION:-v1.21.2}"
ISTIO_API_VERSION="${PALISADE_ISTIO_API_VERSION:-v1.31.1}"
H2SPEC_VERSION="${PALISADE_H2SPEC_VERSION:-v2.2.1+incompatible}"
LOG_TAG=tools
# shellcheck source=script-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/script-common.sh"
CACHE_ROOT="$PALISADE_CACHE_ROOT"
HELM_DIR="$CACHE_ROOT/bin/helm-$HELM_VERSION"
HELM_BIN="$HELM_DIR/helm"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

lock() {
  # Serialise concurrent provisioning (parallel vitest workers, a manual run).
  mkdir -p "$CACHE_ROOT"
  if command -v flock >/dev/null 2>&1; then
    exec 8>"$CACHE_ROOT/.tools-$1.lock"
    flock 8
  fi
}

ensure_helm() {
  if [[ -x "$HELM_BIN" ]]; then
    echo "$HELM_BIN"
    return
  fi
  [[ "$HELM_VERSION" =~ ^v3\.[0-9]+\.[0-9]+$ ]] || die "PALISADE_HELM_VERSION must look like v3.22.0, got '$HELM_VERSION'"
  command -v go >/dev/null 2>&1 ||
    die "'go' was not found on PATH. The chart tests build helm $HELM_VERSION with
  go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION
Install the Go toolchain (https://go.dev/dl/), or put a helm $HELM_VERSION binary at
  $HELM_BIN"
  lock helm
  if [[ -x "$HELM_BIN" ]]; then
    echo "$HELM_BIN"
    return
  fi
  local t0 work client_go major minor
  t0="$(now)"
  log "building helm $HELM_VERSION from the Go module proxy with $(go version) (first run only; minutes on 2 cores)"
  work="$(mktemp -d)"
  # Helm's Makefile derives the Kubernetes version that `helm template` assumes from its client-go (v0.X.Y ->
  # 1.X); without these flags helm would report Kubernetes v1.20.
  (cd "$work" && go mod init tools.local/helm >/dev/null 2>&1 && go mod download -json "helm.sh/helm/v3@$HELM_VERSION" >"$work/dl.json") ||
    die "go mod download helm.sh/helm/v3@$HELM_VERSION failed (is the Go module proxy reachable? GOPROXY=$(go env GOPROXY))"
  client_go="$(grep -E '^\s+k8s.io/client-go v' "$(sed -n 's/.*"Dir": "\(.*\)",/\1/p' "$work/dl.json")/go.mod" | awk '{print $2}')"
  [[ "$client_go" =~ ^v0\.([0-9]+)\. ]] || die "cannot read k8s.io/client-go's version from helm $HELM_VERSION's go.mod"
  major=1
  minor="${BASH_REMATCH[1]}"
  mkdir -p "$HELM_DIR.tmp"
  GOBIN="$HELM_DIR.tmp" CGO_ENABLED=0 go install -trimpath \
    -ldflags "-w -s -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean \
      -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=$major -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor \
      -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=$major -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2 ||
    die "go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION failed (see above)"
  rm -rf "$HELM_DIR" "$work"
  mv "$HELM_DIR.tmp" "$HELM_DIR"
  log "helm $("$HELM_BIN" version --short) built in $(elapsed "$t0") -> $HELM_BIN"
  echo "$HELM_BIN"
}

ensure_h2spec() {
  local dir="$CACHE_ROOT/bin/h2spec-$H2SPEC_VERSION"
  if [[ -x "$dir/h2spec" ]]; then
    echo "$dir/h2spec"
    return
  fi
  command -v go >/dev/null 2>&1 || die "'go' was not found on PATH; the Check port's conformance test builds h2spec $H2SPEC_VERSION with go install"
  lock h2spec
  if [[ ! -x "$dir/h2spec" ]]; then
    local t0
    t0="$(now)"
    log "building h2spec $H2SPEC_VERSION from the Go module proxy (first run only)"
    mkdir -p "$dir.tmp"
    GOBIN="$dir.tmp" CGO_ENABLED=0 GOFLAGS=-mod=mod go install -trimpath "github.com/summerwind/h2spec/cmd/h2spec@$H2SPEC_VERSION" >&2 ||
      die "go install github.com/summerwind/h2spec/cmd/h2spec@$H2SPEC_VERSION failed (see above)"
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
    log "h2spec built in $(elapsed "$t0") -> $dir/h2spec"
  fi
  echo "$dir/h2spec"
}

ensure_prometheus() {
  local want="$1"
  if [[ -n "${PALISADE_PROMETHEUS:-}" ]]; then
    [[ -x "$PALISADE_PROMETHEUS" ]] || die "PALISADE_PROMETHEUS=$PALISADE_PROMETHEUS is not executable"
    if [[ "$want" == prometheus ]]; then echo "$PALISADE_PROMETHEUS"; else echo "$(dirname "$PALISADE_PROMETHEUS")/promtool"; fi
    return
  fi
  if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 ||
      die "prometheus/promtool are not on PATH and apt-get is not available. Install Prometheus (it ships promtool) or set PALISADE_PROMETHEUS=/path/to/prometheus"
    local sudo=""
    if [[ "$(id -u)" != 0 ]]; then
      command -v sudo >/dev/null 2>&1 || die "installing Debian's prometheus needs root (or sudo); install it yourself: apt-get install -y prometheus"
      sudo="sudo -n"
    fi
    lock prometheus
    if ! command -v prometheus >/dev/null 2>&1; then
      local t0
      t0="$(now)"
      log "installing Debian's prometheus (apt-get install -y prometheus)"
      # (no `| grep -q` under pipefail: grep exits early and apt-cache dies of SIGPIPE)
      if [[ "$(apt-cache policy prometheus 2>/dev/null)" != *"Candidate: "[0-9]* ]]; then
        $sudo apt-get update -qq >&2 || true
      fi
      [[ "$(apt-cache policy prometheus 2>/dev/null)" == *"Candidate: "[0-9]* ]] ||
        die "apt has no 'prometheus' package (apt-cache policy prometheus shows no candidate)"
      # Debian's postinst starts a service only under systemd; here it just installs the binaries.
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >&2 ||
        die "apt-get install -y prometheus failed (see above)"
      log "prometheus installed in $(elapsed "$t0")"
    fi
  fi
  command -v "$want"
}

module_dir() {
  # go mod download needs a module context for -json output; any empty module will do.
  local work dir
  work="$(mktemp -d)"
  (cd "$work" && go mod init tools.local/crds >/dev/null 2>&1 && go mod download -json "$1" >"$work/dl.json") ||
    die "go mod download $1 failed (is the Go module proxy reachable? GOPROXY=$(go env GOPROXY))"
  dir="$(sed -n 's/.*"Dir": "\(.*\)",/\1/p' "$work/dl.json")"
  rm -rf "$work"
  [[ -d "$dir" ]] || die "go mod download $1 gave no directory"
  echo "$dir"
}

ensure_crds() {
  command -v go >/dev/null 2>&1 ||
    die "'go' was not found on PATH; the chart's server-side dry-run tests fetch the Prometheus Operator and cert-manager CRDs with go mod download"
  local po cm f
  po="$(module_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")"
  cm="$(module_dir "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION")"
  for f in "$po/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" \
    "$po/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml" \
    "$cm/deploy/crds/cert-manager.io_certificates.yaml" \
    "$cm/deploy/crds/cert-manager.io_issuers.yaml" \
    "$cm/deploy/crds/cert-manager.io_clusterissuers.yaml"; do
    [[ -f "$f" ]] || die "expected CRD file is missing: $f"
    echo "$f"
  done
}

ensure_istio_crds() {
  command -v go >/dev/null 2>&1 || die "'go' was not found on PATH; the Istio tests fetch Istio's CRDs with go mod download"
  local f
  f="$(module_dir "istio.io/api@$ISTIO_API_VERSION")/kubernetes/customresourcedefinitions.gen.yaml"
  [[ -f "$f" ]] || die "expected CRD file is missing: $f"
  echo "$f"
}

[[ $# -gt 0 ]] || die "usage: $0 helm|prometheus|promtool [...]"
for tool in "$@"; do
  case "$tool" in
    helm) ensure_helm ;;
    prometheus | promtool) ensure_prometheus "$tool" ;;
    crds) ensure_crds ;;
    istio-crds) ensure_istio_crds ;;
    h2spec) ensure_h2spec ;;
    *) die "unknown tool '$tool' (helm, prometheus, promtool, crds, istio-crds, h2spec)" ;;
  esac
done
