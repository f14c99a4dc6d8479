#!/bin/bash
# Issue 7's device check: gpujs (gpu.js WebGPU through the worker bridge) vs
# cpu, float32, on the GPU machine. Run from the repo root there, with
# `.device` carried:   bash .device/gpu-bench.sh
# Writes $OUT/gpu-bench.log, $OUT/probe.json, $OUT/seed.json, $OUT/matmul.json.
# Every step is bounded by `timeout` and by a budget of $BUDGET (280) seconds
# for the whole script, so it ends within 5 minutes.
#
# Local rehearsal hooks (not needed on the GPU machine):
#   NODE_PREFIX   a command put before node (e.g. another glibc's ld.so)
#   ALLOW_SOFTWARE=1  bench WebGPU even on a software adapter (lavapipe)
#   SHAPES        the matmul bench's shapes (m x k x n, comma-separated)
# Also passed through: MNEMO_DAWN_OPTIONS (e.g. "backend=vulkan adapter=NVIDIA"),
# VK_DRIVER_FILES, BUDGET (seconds for the whole script, default 280).
set -u
ROOT=$(pwd)
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
LOG="$OUT/gpu-bench.log"
: > "$LOG"
T0=$(date +%s)

say() { echo "[$(( $(date +%s) - T0 ))s] $*" >&2; }
BUDGET=${BUDGET:-280} # seconds for the whole script
step() { # step SECONDS description command...: at most SECONDS, and never past the budget
  local limit=$1 what=$2; shift 2
  local left=$(( BUDGET - ($(date +%s) - T0) ))
  [ "$left" -lt "$limit" ] && limit=$left
  if [ "$limit" -lt 5 ]; then say "!! $what: skipped, the ${BUDGET}s budget is spent"; return 124; fi
  say "== $what (at most ${limit}s)"
  timeout --kill-after=10 "$limit" "$@"
  local rc=$?
  [ $rc -eq 0 ] || say "!! $what: exit $rc$([ $rc -eq 124 ] && echo ' (timed out)')"
  return $rc
}

main() {
  say "host: $(uname -srm); $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
  step 20 "nvidia-smi -L" nvidia-smi -L

  # (a) Node
  NODEDIR=/tmp/mnemo-node
  mkdir -p "$NODEDIR"
  if command -v xz >/dev/null; then
    step 40 "unpack node" sh -c "xz -d -T4 -c .device/node.xz > $NODEDIR/node && chmod +x $NODEDIR/node" || return 1
  else # no xz-utils: Python's lzma
    step 60 "unpack node (python3 lzma)" python3 -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open('.device/node.xz'), open(sys.argv[1], 'wb'))" "$NODEDIR/node" || return 1
    chmod +x "$NODEDIR/node"
  fi
  NODE="${NODE_PREFIX:-} $NODEDIR/node"
  step 10 "node version" $NODE --version || return 1

  # (b) node_modules and the workspaces' dist
  if command -v xz >/dev/null; then
    step 40 "unpack mnemo.tar.xz (node_modules + dist)" tar -xJf .device/mnemo.tar.xz -C "$ROOT" || return 1
  else
    step 60 "unpack mnemo.tar.xz (python3 tarfile)" python3 -c "import tarfile,sys; t=tarfile.open('.device/mnemo.tar.xz'); t.extractall(sys.argv[1], **({'filter': 'tar'} if hasattr(tarfile, 'tar_filter') else {}))" "$ROOT" || return 1
  fi
  [ -f .device/kit-commit.txt ] && say "kit built from: $(tr '\n' ' ' < .device/kit-commit.txt)"
  say "repo HEAD here: $(git rev-parse --verify -q HEAD 2>/dev/null || echo 'unknown (no git)')"
  DAWN=node_modules/webgpu/dist/linux-x64.dawn.node
  step 10 "ldd Dawn (missing libraries show as 'not found')" sh -c "ldd $DAWN | grep -E 'not found|libstdc|libc.so' ; true"

  # (c) Vulkan loader and NVIDIA's ICD
  # the device README's recipe: the Vulkan loader and glvnd's GL/EGL/GLX libraries unpacked into /, then ldconfig
  say "unpacking the carried libvulkan1 + glvnd debs into / (device README recipe)"
  for f in .device/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
  say "Vulkan loader: $(ldconfig -p | grep 'libvulkan.so.1' | head -1)"
  if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  fi
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
    [ -d "$d" ] && export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d"
  done
  ICDS=$(ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json /usr/local/share/vulkan/icd.d/*.json 2>/dev/null | tr '\n' ' ')
  say "ICD files in the standard places: ${ICDS:-none}"
  say "NVIDIA driver libraries for Vulkan: $(ldconfig -p | grep -oE 'lib(GLX_nvidia|nvidia-glvkspirv|nvidia-gpucomp|EGL_nvidia)\.so[.0-9]*' | sort -u | tr '\n' ' ')"
  if [ -z "${VK_DRIVER_FILES:-}" ] && ! echo "$ICDS" | grep -q nvidia; then
    for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.x86_64.json \
      $(timeout 20 find /usr /etc /opt -maxdepth 7 -name 'nvidia_icd*.json' 2>/dev/null); do
      if [ -f "$f" ]; then export VK_DRIVER_FILES=$f; break; fi
    done
  fi
  [ -f /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json ] && export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  say "VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset}"
  [ -n "${VK_DRIVER_FILES:-}" ] && cat "$VK_DRIVER_FILES"

  # (d) the probe: which gpu.js runs the gpujs backend here, and why
  MODE=auto
  if VK_LOADER_DEBUG=error,warn MNEMO_GPUJS_MODE=webgpu MNEMO_GPUJS_START_TIMEOUT_MS=${MNEMO_GPUJS_START_TIMEOUT_MS:-30000} step 45 "probe MNEMO_GPUJS_MODE=webgpu" $NODE .device/probe.mjs > "$OUT/probe.json"; then
    cat "$OUT/probe.json"
    if grep -q '"bridged": true' "$OUT/probe.json" && { ! grep -q '(software)' "$OUT/probe.json" || [ "${ALLOW_SOFTWARE:-}" = 1 ]; }; then
      MODE=webgpu
    else
      say "WebGPU answered with a software adapter only: benching MNEMO_GPUJS_MODE=auto (gpu.js in-process)"
    fi
  else
    cat "$OUT/probe.json"
    say "WebGPU is not usable here (see above); benching MNEMO_GPUJS_MODE=auto, which falls back to gpu.js in-process"
    MNEMO_GPUJS_MODE=auto step 30 "probe MNEMO_GPUJS_MODE=auto" $NODE .device/probe.mjs
  fi
  export MNEMO_GPUJS_MODE=$MODE MNEMO_GPUJS_START_TIMEOUT_MS=${MNEMO_GPUJS_START_TIMEOUT_MS:-30000}
  say "benching with MNEMO_GPUJS_MODE=$MNEMO_GPUJS_MODE"

  # the benches: cpu vs gpujs, float32
  rm -rf bench-results
  if [ -z "${SHAPES:-}" ]; then
    if [ "$MODE" = webgpu ]; then SHAPES=128x256x512,512x512x512,2048x2048x2048; else SHAPES=128x256x512,512x512x512; fi
  fi
  step 90 "bench matmul --gpujs-only --shapes $SHAPES" $NODE models/dist/bench/index.js matmul --gpujs-only --shapes "$SHAPES"
  step 200 "bench seed --backends cpu,gpujs --dtypes float32" $NODE models/dist/bench/index.js seed --backends cpu,gpujs --dtypes float32
  cp bench-results/*.json "$OUT/" 2>/dev/null
  say "done"
}

main 2>&1 | tee -a "$LOG"
exit "${PIPESTATUS[0]}"
