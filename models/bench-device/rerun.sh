#!/bin/bash
# Second device run: cpu alone (no Dawn worker alive), then gpujs on WebGPU.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
exec > >(tee -a "$OUT/rerun.log") 2>&1
mkdir -p /tmp/mnemo-node && xz -d -T4 -c .device/node.xz > /tmp/mnemo-node/node && chmod +x /tmp/mnemo-node/node
NODE=/tmp/mnemo-node/node
tar -xJf .device/mnemo.tar.xz -C "$(pwd)"
for f in .device/debs/*.deb; do dpkg -x "$f" /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
nproc; grep -m1 'model name' /proc/cpuinfo
echo "== seed, cpu alone (MNEMO_GPUJS_MODE=inprocess: no WebGPU worker), 16 steps"
MNEMO_GPUJS_MODE=inprocess timeout 120 $NODE models/dist/bench/index.js seed --backends cpu --dtypes float32 --steps 16
cp bench-results/*.json "$OUT/" 2>/dev/null; for f in "$OUT"/seed*.json; do [ -f "$f" ] && mv "$f" "$OUT/cpu-$(basename "$f")"; done
echo "== seed, gpujs on WebGPU"
MNEMO_GPUJS_MODE=webgpu timeout 150 $NODE models/dist/bench/index.js seed --backends gpujs --dtypes float32 --steps 8
echo "== matmul, gpujs on WebGPU vs cpu"
MNEMO_GPUJS_MODE=webgpu timeout 120 $NODE models/dist/bench/index.js matmul --gpujs-only --shapes 128x256x512,512x512x512,1024x1024x1024,2048x2048x2048,4096x4096x4096
cp bench-results/*.json "$OUT/" 2>/dev/null
echo done
