#!/usr/bin/env bash
# Provisions the real upstream servers test/upstreams/routing.test.ts sends evasive paths to, only when missing,
# and prints where they are (one line per argument). Builds live OUTSIDE the git tree, keyed by version:
#
#   nginx    Debian's package (apt-get install nginx; .ci/run installs it); prints the nginx binary
#   tomcat   embedded Tomcat from Maven Central (mvn, test/upstreams/tomcat/pom.xml) and Upstream.java compiled
#            with javac, into ${PALISADE_CACHE:-$HOME/.cache/palisade}/upstreams/tomcat-<version>/; prints that dir
#   go       test/upstreams/go built with the Go toolchain into .../upstreams/go-<go version>-<source hash>/upstream;
#            prints the binary
#   express  express@<version> from npm into .../upstreams/express-<version>/; prints that dir
#
# Fails loudly (exit 1, message on stderr) when a prerequisite is missing (nginx, java/javac/mvn, go, npm) or a
# registry cannot be reached.
set -euo pipefail

TOMCAT_VERSION="$(sed -n 's:.*<tomcat.version>\(.*\)</tomcat.version>.*:\1:p' "$(dirname "$0")/tomcat/pom.xml")"
EXPRESS_VERSION="${PALISADE_EXPRESS_VERSION:-5.2.1}"
HERE="$(cd "$(dirname "$0")" && pwd)"
CACHE="${PALISADE_CACHE:-${HOME:?HOME is not set and PALISADE_CACHE is not set}/.cache/palisade}/upstreams"

die() {
  printf '\n[upstreams] ERROR: %s\n\n' "$*" >&2
  exit 1
}
log() { printf '[upstreams] %s\n' "$*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is required by test/upstreams ($2) but not on PATH; .ci/run installs it"; }

lock() {
  mkdir -p "$CACHE"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$CACHE/.$1.lock"
    flock 9
  fi
}

ensure_nginx() {
  local bin
  bin="$(command -v nginx || true)"
  [[ -z "$bin" && -x /usr/sbin/nginx ]] && bin=/usr/sbin/nginx
  [[ -n "$bin" ]] || die "nginx is not installed: apt-get install nginx (Debian's package; .ci/run installs it)"
  echo "$bin"
}

ensure_tomcat() {
  local dir="$CACHE/tomcat-$TOMCAT_VERSION"
  if [[ -f "$dir/classes/Upstream.class" && "$dir/classes/Upstream.class" -nt "$HERE/tomcat/Upstream.java" ]]; then
    echo "$dir"
    return
  fi
  need java "runs embedded Tomcat"
  need javac "compiles the Tomcat upstream"
  need mvn "fetches Tomcat from Maven Central"
  lock tomcat
  log "fetching embedded Tomcat $TOMCAT_VERSION from Maven Central and compiling the upstream (first run only)"
  rm -rf "$dir.tmp"
  mkdir -p "$dir.tmp/lib" "$dir.tmp/classes"
  mvn -q -B -f "$HERE/tomcat/pom.xml" dependency:copy-dependencies -DoutputDirectory="$dir.tmp/lib" >&2 ||
    die "mvn could not fetch org.apache.tomcat.embed:tomcat-embed-core:$TOMCAT_VERSION (is Maven Central reachable?)"
  javac -nowarn -cp "$dir.tmp/lib/*" -d "$dir.tmp/classes" "$HERE/tomcat/Upstream.java" >&2 || die "javac failed on test/upstreams/tomcat/Upstream.java"
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
  echo "$dir"
}

ensure_go() {
  need go "builds the Go net/http upstream"
  local hash dir
  hash="$(cat "$HERE/go/main.go" "$HERE/go/go.mod" | sha256sum | cut -c1-12)"
  dir="$CACHE/go-$(go env GOVERSION)-$hash"
  if [[ -x "$dir/upstream" ]]; then
    echo "$dir/upstream"
    return
  fi
  lock go
  log "building the Go net/http upstream with $(go env GOVERSION)"
  mkdir -p "$dir"
  (cd "$HERE/go" && go build -o "$dir/upstream.tmp" .) >&2 || die "go build of test/upstreams/go failed"
  mv "$dir/upstream.tmp" "$dir/upstream"
  echo "$dir/upstream"
}

ensure_express() {
  local dir="$CACHE/express-$EXPRESS_VERSION"
  if [[ -f "$dir/node_modules/express/package.json" ]]; then
    echo "$dir"
    return
  fi
  need npm "installs Express"
  lock express
  log "installing express@$EXPRESS_VERSION from npm"
  rm -rf "$dir.tmp"
  mkdir -p "$dir.tmp"
  echo '{"private":true}' >"$dir.tmp/package.json"
  npm install --prefix "$dir.tmp" --no-audit --no-fund --no-package-lock --ignore-scripts "express@$EXPRESS_VERSION" >&2 ||
    die "npm could not install express@$EXPRESS_VERSION (is the npm registry reachable?)"
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
  echo "$dir"
}

[[ $# -gt 0 ]] || die "usage: test/upstreams/provision.sh nginx|tomcat|go|express [...]"
for what in "$@"; do
  case "$what" in
    nginx) ensure_nginx ;;
    tomcat) ensure_tomcat ;;
    go) ensure_go ;;
    express) ensure_express ;;
    *) die "unknown upstream '$what' (nginx, tomcat, go, express)" ;;
  esac
done
