# Shared helpers for scripts/*: sourced, not run.
# Everything lives inside the clone: .venv/, node_modules/, dist/, test-output/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
OUT="$ROOT/test-output"
WHEEL_NAME="jupyterlab_cython_pin-0.1.0-py3-none-any.whl"
export PATH="$VENV/bin:$ROOT/node_modules/.bin:$PATH"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
# JupyterLab's own build tooling asks nothing, but keep every tool non-interactive (CI has no stdin).
export DEBIAN_FRONTEND=noninteractive

log() { printf '\033[1m[%s] %s\033[0m\n' "$(basename "$0")" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# phase NAME CMD...: run CMD, print and record how long it took (test-output/timings.txt).
phase() {
  local name=$1; shift
  local t0=$SECONDS rc=0
  "$@" || rc=$?
  local dt=$((SECONDS - t0))
  mkdir -p "$OUT"
  printf '%-14s %4ss  exit %s\n' "$name" "$dt" "$rc" >>"$OUT/timings.txt"
  log "$name: ${dt}s (exit $rc)"
  return "$rc"
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
