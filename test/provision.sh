#!/usr/bin/env bash
# Provisions everything the test suite runs for real, before vitest starts (so no build runs inside a test
# timeout): kube-apiserver + etcd built from the Go module proxy, helm, Prometheus/promtool, the third-party
# CRDs, and the real upstreams of test/upstreams (nginx, Tomcat, Go net/http, Express). Each step is a no-op when
# its result is cached (~/.cache/palisade, keyed by version). Runs as `pretest`.
# Fails loudly when something cannot be provisioned (no Go, no apt-get, no network to the registries).
set -euo pipefail
cd "$(dirname "$0")/.."
for cmd in go kubectl openssl redis-server; do
  command -v "$cmd" >/dev/null 2>&1 || { echo "test/provision.sh: '$cmd' is required by the test suite but not on PATH (CI installs it: see .ci/run)" >&2; exit 1; }
done
bash test/controlplane/build.sh >&2
bash test/support/tools.sh helm prometheus promtool crds istio-crds >/dev/null
bash test/upstreams/provision.sh nginx tomcat go express >/dev/null
