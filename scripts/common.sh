# Shared helpers for scripts/*: sourced, not run.
# Everything lives inside the clone: .venv/, node_modules/, dist/, test-output/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
OUT="$ROOT/test-output"
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

# wheel_path kernel|lab: the cython-pin or jupyterlab-cython-pin wheel that scripts/build put in dist/.
wheel_path() {
  local pattern
  case $1 in kernel) pattern=cython_pin ;; lab) pattern=jupyterlab_cython_pin ;; *) die "wheel_path: $1" ;; esac
  local found=("$ROOT"/dist/"$pattern"-*-py3-none-any.whl)
  [ -f "${found[0]}" ] && [ ${#found[@]} = 1 ] || die "expected one dist/$pattern-*.whl (run scripts/build)"
  echo "${found[0]}"
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
