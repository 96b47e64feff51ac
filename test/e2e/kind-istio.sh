#!/usr/bin/env bash
# End-to-end on a real cluster: kind + Istio + the Palisade chart + a protected httpbin.
#
#   NOT RUN HERE: the project's own test environment has no Docker engine. This script is for users and CI runners
#   with Docker (see .github/workflows/e2e.yaml). It is the README's "Install" section, scripted and checked.
#
# Needs: docker, kind, kubectl, helm (v3), curl. istioctl is downloaded (ISTIO_VERSION) when not on PATH.
# Environment:
#   CLUSTER        kind cluster name (default palisade-e2e)
#   ISTIO_VERSION  Istio release for istioctl (default 1.27.3)
#   KEEP=1         keep the cluster afterwards (default: deleted on success)
#   SKIP_BUILD=1   use images already loaded into the kind cluster
#
# Exit status 0 = every check passed. Each check prints "ok - ..." or "FAIL - ..." (TAP-like).
set -euo pipefail

CLUSTER="${CLUSTER:-palisade-e2e}"
ISTIO_VERSION="${ISTIO_VERSION:-1.27.3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TAG=e2e
NS=palisade-system
APP=demo
failures=0

log() { printf '\n[e2e] %s\n' "$*" >&2; }
die() {
  printf '\n[e2e] ERROR: %s\n' "$*" >&2
  exit 1
}
ok() { printf 'ok - %s\n' "$*"; }
fail() {
  printf 'FAIL - %s\n' "$*"
  failures=$((failures + 1))
}

for tool in docker kind kubectl helm curl; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is required (see the README's Install section)"
done
docker info >/dev/null 2>&1 || die "no Docker engine reachable (docker info failed)"

if ! command -v istioctl >/dev/null 2>&1; then
  log "downloading istioctl $ISTIO_VERSION"
  work="$(mktemp -d)"
  (cd "$work" && curl -fsSL https://istio.io/downloadIstio | ISTIO_VERSION="$ISTIO_VERSION" sh - >/dev/null)
  export PATH="$work/istio-$ISTIO_VERSION/bin:$PATH"
fi

# 1. Cluster
if ! kind get clusters | grep -qx "$CLUSTER"; then
  log "kind create cluster --name $CLUSTER"
  kind create cluster --name "$CLUSTER" --wait 120s
fi
kubectl config use-context "kind-$CLUSTER" >/dev/null

# 2. Images (built from this checkout, loaded into kind: nothing is pulled from a registry)
if [[ "${SKIP_BUILD:-}" != 1 ]]; then
  log "building the images"
  docker build -f "$ROOT/authz-server/Dockerfile" -t "palisade-authz-server:$TAG" "$ROOT"
  docker build -f "$ROOT/operator/Dockerfile" -t "palisade-operator:$TAG" "$ROOT"
  kind load docker-image --name "$CLUSTER" "palisade-authz-server:$TAG" "palisade-operator:$TAG"
fi

# 3. Istio with Palisade as an ext_authz provider (and as its HTTP access log service, for the bot signals)
log "installing Istio $ISTIO_VERSION"
istioctl install -y -f - <<EOF
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  profile: minimal
  meshConfig:
    extensionProviders:
      - name: palisade
        envoyExtAuthzGrpc:
          service: palisade-authz.$NS.svc.cluster.local
          port: 9003
          timeout: 0.5s
          failOpen: false
          statusOnError: "503"
      - name: palisade-als
        envoyHttpAls:
          service: palisade-authz.$NS.svc.cluster.local
          port: 9001
          logName: istio
          additionalResponseHeadersToLog: [content-type]
EOF

# 4. Palisade
log "helm install palisade"
helm upgrade --install palisade "$ROOT/charts/palisade" --namespace "$NS" --create-namespace \
  --set image.registry= --set image.tag="$TAG" --set image.pullPolicy=Never \
  --set authz.image.repository=palisade-authz-server --set operator.image.repository=palisade-operator \
  --set istio.enabled=true --set istio.providerName=palisade \
  --set authz.autoscaling.minReplicas=2 --wait --timeout 5m
kubectl -n "$NS" rollout status deploy/palisade-operator --timeout=120s
kubectl -n "$NS" rollout status deploy/palisade-authz --timeout=120s

# 5. The application: httpbin and two clients in a mesh namespace
log "deploying httpbin and clients"
kubectl create namespace "$APP" --dry-run=client -o yaml | kubectl apply -f -
kubectl label namespace "$APP" istio-injection=enabled --overwrite
# A curl pod under its own service account: the calling workloads (frontend is allowed, intruder is not).
curl_client() {
  cat <<EOF
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: $1 }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: $1 }
spec:
  selector: { matchLabels: { app: $1 } }
  template:
    metadata: { labels: { app: $1 } }
    spec:
      serviceAccountName: $1
      containers: [{ name: curl, image: docker.io/curlimages/curl:8.10.1, command: ["sleep", "infinity"] }]
EOF
}

{
  cat <<'EOF'
apiVersion: v1
kind: ServiceAccount
metadata: { name: httpbin }
---
apiVersion: v1
kind: Service
metadata: { name: httpbin, labels: { app: httpbin } }
spec:
  selector: { app: httpbin }
  ports: [{ name: http, port: 8000, targetPort: 8080 }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: httpbin }
spec:
  replicas: 1
  selector: { matchLabels: { app: httpbin } }
  template:
    metadata: { labels: { app: httpbin } }
    spec:
      serviceAccountName: httpbin
      containers:
        - name: httpbin
          image: docker.io/mccutchen/go-httpbin:v2.15.0
          ports: [{ containerPort: 8080 }]
EOF
  curl_client frontend
  curl_client intruder
  cat <<'EOF'
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: { name: palisade-access-logs }
spec:
  accessLogging: [{ providers: [{ name: palisade-als }] }]
EOF
} | kubectl -n "$APP" apply -f -
kubectl -n "$APP" rollout status deploy/httpbin deploy/frontend deploy/intruder --timeout=180s

# 6. The policy: only the frontend, GETs on /get and /headers, 5 requests a minute on /anything, inspection on
log "applying the ApiProtectionPolicy"
kubectl apply -f - <<EOF
apiVersion: palisade.dev/v1alpha1
kind: ApiProtectionPolicy
metadata: { name: httpbin, namespace: $APP }
spec:
  hosts: ["httpbin.$APP.svc.cluster.local", "httpbin.$APP", "httpbin"]
  workloadSelector: { matchLabels: { app: httpbin } }
  identity:
    requireMTLS: true
    allowedPrincipals: ["spiffe://cluster.local/ns/$APP/sa/frontend"]
  rules:
    - { methods: [GET], paths: ["/get", "/headers", "/anything/**"] }
  rateLimits:
    - { name: anything-per-client, paths: ["/anything/**"], key: [principal], requests: 5, period: 1m }
  inspection: { sqlInjection: true, xss: true, pathTraversal: true }
EOF
kubectl -n "$APP" wait --for=condition=Accepted apipol/httpbin --timeout=60s
kubectl -n "$APP" wait --for=condition=Enforced apipol/httpbin --timeout=60s
for _ in $(seq 1 60); do
  kubectl -n "$APP" get authorizationpolicies.security.istio.io palisade-httpbin >/dev/null 2>&1 && break
  sleep 1
done
kubectl -n "$APP" get authorizationpolicies.security.istio.io palisade-httpbin -o yaml

# 7. Checks, from inside the mesh
status() { # <client> <curl args...>: prints the HTTP status (and the x-palisade-reason header after a space)
  local client="$1"
  shift
  kubectl -n "$APP" exec "deploy/$client" -c curl -- curl -s -o /dev/null -D - "$@" |
    awk 'NR==1 {code=$2} tolower($1)=="x-palisade-reason:" {reason=$2} END {gsub("\r","",reason); print code (reason ? " " reason : "")}'
}
expect() { # <want> <description> <client> <curl args...>
  local want="$1" what="$2"
  shift 2
  local got
  # the sidecar may need a moment to receive the AuthorizationPolicy
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    got="$(status "$@")"
    [[ "$got" == "$want" ]] && break
    sleep 2
  done
  if [[ "$got" == "$want" ]]; then ok "$what ($got)"; else fail "$what: want '$want', got '$got'"; fi
}
URL="http://httpbin.$APP.svc.cluster.local:8000"
expect "200" "frontend GET /get is allowed" frontend "$URL/get"
expect "403 access" "frontend POST /post matches no rule" frontend -X POST "$URL/post"
expect "403 inspection" "SQL injection in the query is refused" frontend "$URL/get?id=1%27%20OR%20%271%27=%271"
expect "403 identity" "a workload whose principal is not allowed is refused" intruder "$URL/get"
for i in 1 2 3 4 5; do status frontend "$URL/anything/$i" >/dev/null; done
expect "429 rate-limit" "the sixth /anything request in a minute is rate limited" frontend "$URL/anything/6"
reasons="$(kubectl -n "$NS" exec deploy/palisade-authz -- node -e "fetch('http://127.0.0.1:9090/metrics').then(r=>r.text()).then(t=>console.log(t.split('\n').filter(l=>l.startsWith('palisade_decisions_total')).join('\n')))")"
if grep -q 'reason="rate-limit"' <<<"$reasons"; then ok "decisions are counted in /metrics"; else fail "palisade_decisions_total has no rate-limit series"; fi

if ((failures > 0)); then
  log "$failures check(s) failed; cluster kept for inspection: kind-$CLUSTER"
  exit 1
fi
log "all checks passed"
if [[ "${KEEP:-}" != 1 ]]; then kind delete cluster --name "$CLUSTER"; fi
