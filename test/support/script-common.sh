# Sourced by the provisioning scripts (test/controlplane/build.sh, test/support/tools.sh): the cache root outside
# the git tree, and messages on stderr tagged with the script's LOG_TAG (set it before sourcing).
PALISADE_CACHE_ROOT="${PALISADE_CACHE:-${HOME:?HOME is not set and PALISADE_CACHE is not set}/.cache/palisade}"

log() { printf '[%s] %s\n' "$LOG_TAG" "$*" >&2; }
die() {
  printf '\n[%s] ERROR: %s\n\n' "$LOG_TAG" "$*" >&2
  exit 1
}
