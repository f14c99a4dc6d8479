#!/bin/bash
# Build the device kit HERE (the 2-core dev machine), from the repo root:
#   bash models/bench-device/build-kit.sh
# (add `/.device/` to .git/info/exclude first: the kit is not committed)
# Rebuilds every workspace's dist (tsc -b) and packs what
# `node models/dist/bench/index.js seed|matmul` needs at run time into
# .device/mnemo.tar.xz: the five dists, node_modules/@mnemo links, gpu.js (src),
# acorn, gpu-mock.js, fp-ts and io-ts (lib), and webgpu with only its
# linux-x64 Dawn binary. Ships Node itself as .device/node.xz, the Vulkan
# loader and glvnd's GL libraries (.device/debs/*.deb, Debian 12; the device
# README's recipe), and the scripts of this folder. Not committed.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
mkdir -p .device/debs

echo "== tsc -b"
flock /tmp/mnemo-npm.lock npx tsc -b

if [ ! -s .device/node.xz ]; then
  echo "== node $(node --version) -> .device/node.xz"
  xz -T2 -6 -c "$(command -v node)" > .device/node.xz.tmp && mv .device/node.xz.tmp .device/node.xz
fi
if ! ls .device/debs/libglvnd0_*.deb >/dev/null 2>&1; then
  echo "== apt-get download libvulkan1 and glvnd's libraries"
  (cd .device/debs && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi
cp models/bench-device/gpu-bench.sh models/bench-device/rerun.sh models/bench-device/probe.mjs .device/

echo "== .device/mnemo.tar.xz"
tar -cf - \
  --exclude='*.d.ts' --exclude='*.map' --exclude='*.tsbuildinfo' \
  core/dist autodiff/dist nn/dist proofs/dist models/dist \
  node_modules/@mnemo \
  node_modules/gpu.js/package.json node_modules/gpu.js/src \
  node_modules/acorn node_modules/gpu-mock.js \
  node_modules/fp-ts/package.json node_modules/fp-ts/lib \
  node_modules/io-ts/package.json node_modules/io-ts/lib \
  node_modules/webgpu/package.json node_modules/webgpu/index.js node_modules/webgpu/dist/linux-x64.dawn.node \
  | xz -T2 -6 > .device/mnemo.tar.xz.tmp
mv .device/mnemo.tar.xz.tmp .device/mnemo.tar.xz
git rev-parse HEAD > .device/kit-commit.txt
git status --short --untracked-files=no >> .device/kit-commit.txt || true
du -sh .device/* | sort -h
du -sh .device
