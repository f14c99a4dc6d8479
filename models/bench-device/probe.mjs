// Which gpu.js runs the gpujs backend here, and why; one product checked against cpu.
import { gpujsInfo, gpujs, cpu, uniform, key } from '@mnemo/core';
const t0 = Date.now();
let info;
try {
  info = { ...gpujsInfo() };
} catch (e) {
  info = { error: e.message };
}
info.chooseMs = Date.now() - t0;
if (info.error === undefined) {
  const a = uniform(key(1), [256, 300], { low: -1, high: 1 });
  const b = uniform(key(2), [300, 200], { low: -1, high: 1 });
  const y = gpujs.matmul(a, b, false, false).toArray();
  const z = cpu.matmul(a, b, false, false).toArray();
  let d = 0;
  for (let i = 0; i < y.length; i++) d = Math.max(d, Math.abs(y[i] - z[i]));
  info.maxAbsDiffVsCpu = d;
}
console.log(JSON.stringify(info, null, 1));
process.exitCode = info.error === undefined ? 0 : 1;
