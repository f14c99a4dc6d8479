/**
 * Pinned bits of every built-in cell: the parameters `init` draws from fixed
 * keys, one step's state and output, the gates `inspect` reports, the input
 * projection, and a short scan's loss and gradients, in float32 and float64.
 * Checkpoints, `--resume` and the tutorial's test accuracy depend on these
 * staying the same bit for bit, so the hashes below were taken from the cells
 * as they were before the cell API was rewritten (commit 137d24e; `scan` is
 * the tape path) and must never be regenerated to make a change pass: a
 * mismatch means a built-in cell now draws or computes something else.
 * The scan is pinned on the tape path (`compile: false`), where each op's
 * bits are defined by its kernel. The compiled path is not pinned here: its
 * summation orders and SIMD polynomials belong to the compiler and improve
 * with it; proofs/test/compiled.test.ts holds it to the tape path (1e-12 in
 * float64, a stated tolerance in float32) for every cell and variant.
 *
 * `PIN_PRINT=1 npx vitest run nn/test/cells-pinned.test.ts` prints the table
 * (for a new cell only).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { foldIn, key, normal, unsafeDataOf, type DType, type Tensor } from '@mnemo/core';
import { add, mul, sum, tanh, tree, valueAndGrad, type Tree } from '@mnemo/autodiff';
import { makeCell, scan, type GatedCell, type MakeCellOptions } from '@mnemo/nn';

/** Every family and variant, and the LSTM's options. */
const CASES: readonly { readonly spec: string; readonly options?: Partial<MakeCellOptions> }[] = [
  { spec: 'lstm' },
  { spec: 'lstm+peephole' },
  { spec: 'lstm+nig' },
  { spec: 'lstm+nfg' },
  { spec: 'lstm+nog' },
  { spec: 'lstm+niaf' },
  { spec: 'lstm+noaf' },
  { spec: 'lstm+np' },
  { spec: 'lstm+cifg' },
  { spec: 'lstm+fgr' },
  { spec: 'lstm+cifg+np' },
  { spec: 'lstm+nig+nfg' },
  { spec: 'lstm+cifg+fgr' },
  { spec: 'lstm+nog+noaf' },
  { spec: 'lstm', options: { projSize: 2 } },
  { spec: 'lstm', options: { layerNorm: true } },
  { spec: 'lstm+peephole+fgr', options: { projSize: 3, layerNorm: true, forgetBias: 0.5 } },
  { spec: 'gru' },
  { spec: 'gru+reset-after' },
  { spec: 'mgu' },
  { spec: 'mut1' },
  { spec: 'mut1', options: { inputProjection: true } },
  { spec: 'mut2' },
  { spec: 'mut3' },
  { spec: 'rnn' },
  { spec: 'rnn+relu' },
];

const D = 3;
const H = 4;
const B = 2;

const hash = (ts: readonly Tensor[]): string => {
  const h = createHash('sha256');
  for (const t of ts) {
    h.update(`${t.dtype}[${t.shape.join(',')}]`);
    const d = unsafeDataOf(t);
    h.update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  }
  return h.digest('hex').slice(0, 16);
};

/** A record's names (sorted) and the hash of its leaves in that order, so a renamed parameter changes it too. */
const hashTree = (t: Tree): string => {
  const rec = t as Record<string, Tensor>;
  const keys = Object.keys(rec).sort();
  return `${keys.join(',')}:${hash(keys.map((k) => rec[k]!))}`;
};

/** What a cell draws and computes from fixed keys. */
function fingerprint(cell: GatedCell<Tree, Tree>, dtype: DType): Record<string, string> {
  const p0 = cell.init(key(7));
  const p1 = cell.init(key(123456));
  // Parameters redrawn around init, so zero biases and unit gains matter in the step.
  let n = 0;
  const p = tree.map(p0, (t) => normal(foldIn(key(8), n++), t.shape, { dtype, std: 0.5 }));
  let m = 0;
  const s = tree.map(cell.initialState(B), (t) => normal(foldIn(key(9), m++), t.shape, { dtype, std: 0.7 }));
  const x = normal(key(10), [B, D], { dtype });
  const [s1, y] = cell.step(p, s, x);
  const r = cell.inspect(p, s, x);
  const gates = cell.gates.map((g) => r.gates[g]!);
  const xs = normal(key(11), [B, 5, D], { dtype });
  const w = normal(key(12), [B, 5, cell.outputSize], { dtype });
  const scanned = (compile: boolean): string => {
    const [loss, grads] = valueAndGrad((q: Tree, xx: Tensor, st: Tree) => {
      const o = scan(cell, q, xx, { initialState: st, lengths: [5, 3], compile });
      return tree.leaves(o.finalState).reduce((acc, leaf) => add(acc, sum(tanh(leaf))), sum(mul(w, tanh(o.outputs))));
    }, { argnums: [0, 1, 2] })(p, xs, s);
    return `${hash([loss])}|${hash(tree.leaves(grads as Tree))}`;
  };
  return {
    init: hashTree(p0),
    init2: hashTree(p1),
    step: `${hashTree(s1)}|${hash([y])}`,
    inspect: hash(gates),
    project: hash([cell.projectInputs(p, xs)]),
    scan: scanned(false),
  };
}

const label = (c: (typeof CASES)[number], dtype: DType): string =>
  `${c.spec}${c.options ? ` ${Object.entries(c.options).map(([k, v]) => `${k}=${String(v)}`).join(' ')}` : ''} ${dtype}`;

const PINNED: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'lstm float32': {
    init: 'b,wh,wx:9e2cfc005baccb3e',
    init2: 'b,wh,wx:fbd73d008a5409c0',
    step: 'c,h:1c36c6f9eea7cc0e|743717c9d9280354',
    inspect: 'ca2f0d005e1b9711',
    project: 'e2a1d5a862820ebd',
    scan: 'ac4f821143af83e1|0fad68f11c99dbe3',
  },
  'lstm float64': {
    init: 'b,wh,wx:a91fdc75ad098d65',
    init2: 'b,wh,wx:b784a5149c4fa17e',
    step: 'c,h:924d0296ea8ccaf6|be4b39e89671d6c3',
    inspect: 'a2e64ccfec8da709',
    project: 'ece2869f9b0e56ba',
    scan: 'ca2c97d1da182346|0f9d427b6d87f332',
  },
  'lstm+peephole float32': {
    init: 'b,pf,pi,po,wh,wx:dc711a89c3bbdc01',
    init2: 'b,pf,pi,po,wh,wx:b11a247fa5bcbd54',
    step: 'c,h:3cbdea85a1b737fb|0073912773feee99',
    inspect: '50aeabd51de999dc',
    project: '832b4bb92e80caf2',
    scan: 'a064ad3c22519bc4|31aba60da1be6ad1',
  },
  'lstm+peephole float64': {
    init: 'b,pf,pi,po,wh,wx:a705c368d548cb81',
    init2: 'b,pf,pi,po,wh,wx:4d535dadb8cbea64',
    step: 'c,h:376b845472dfe6ea|92f967c723a6cd9b',
    inspect: '08c0df7cc9f7bece',
    project: '26198240f0f8b9b3',
    scan: 'f459d917d20bb939|a81e1069ae195748',
  },
  'lstm+nig float32': {
    init: 'b,pf,po,wh,wx:0bfdbc9909843d4e',
    init2: 'b,pf,po,wh,wx:dc6b1b5a17ac48ae',
    step: 'c,h:27acd0799fa67ab5|db872d7c7911f2cb',
    inspect: 'cd74c3b2aa5f0f93',
    project: 'd9722ca41050357e',
    scan: '39977dc914c1dd2e|f0972ebe5bb9be6a',
  },
  'lstm+nig float64': {
    init: 'b,pf,po,wh,wx:f057326e153d9a98',
    init2: 'b,pf,po,wh,wx:27033429e5f2bfe6',
    step: 'c,h:aef5b6f01a5e0d94|ff31bcc1659b89e6',
    inspect: '57dd95640228d893',
    project: '9069b3e6ade65a24',
    scan: '006fc748d3f7294e|b719c10a218d2fc1',
  },
  'lstm+nfg float32': {
    init: 'b,pi,po,wh,wx:f37c4719a57ac01c',
    init2: 'b,pi,po,wh,wx:764c0c048c330ddd',
    step: 'c,h:a6f63a5f34da2d5b|bea62d6fb279e740',
    inspect: '7f5a0be2968a507f',
    project: 'd9722ca41050357e',
    scan: 'fb7efb5d2c59e4f4|82fa64ff8455cb7e',
  },
  'lstm+nfg float64': {
    init: 'b,pi,po,wh,wx:b55bbeb01bd89a42',
    init2: 'b,pi,po,wh,wx:a01a1a8631554846',
    step: 'c,h:616305361b2e1468|5199ceac23a6b678',
    inspect: '3f9b5b279819ff13',
    project: '9069b3e6ade65a24',
    scan: 'd99c89a28e1b6c6a|32cb27ccf24145cb',
  },
  'lstm+nog float32': {
    init: 'b,pf,pi,wh,wx:7b65f5d9f9425d03',
    init2: 'b,pf,pi,wh,wx:60f30728fee08cc7',
    step: 'c,h:7e71c5ced77469fb|50719d21db4e2c16',
    inspect: '08f70daa5ebf0560',
    project: 'd9722ca41050357e',
    scan: 'c321bdd371ec72f2|7730cda293f9af31',
  },
  'lstm+nog float64': {
    init: 'b,pf,pi,wh,wx:3ed50c5329a83e8c',
    init2: 'b,pf,pi,wh,wx:d934e69b0abf9602',
    step: 'c,h:e382a8e5af1fd754|b4c895c65234d085',
    inspect: '6f3edd262c4e4544',
    project: '9069b3e6ade65a24',
    scan: '2ea0f0a0490b8f13|ec102ab83540bd27',
  },
  'lstm+niaf float32': {
    init: 'b,pf,pi,po,wh,wx:dc711a89c3bbdc01',
    init2: 'b,pf,pi,po,wh,wx:b11a247fa5bcbd54',
    step: 'c,h:c846234a6d6a7c85|73bfbd60cb22ff43',
    inspect: 'b9a10f6a342f1463',
    project: '832b4bb92e80caf2',
    scan: '4c499d51c95ee86e|4a044371c4b5755d',
  },
  'lstm+niaf float64': {
    init: 'b,pf,pi,po,wh,wx:a705c368d548cb81',
    init2: 'b,pf,pi,po,wh,wx:4d535dadb8cbea64',
    step: 'c,h:3ee8e172b29d5634|a86ee2a3ee7187cc',
    inspect: '56f0b068e0a1ed9a',
    project: '26198240f0f8b9b3',
    scan: '7f2c1216d8f38740|70aba981e13ddd75',
  },
  'lstm+noaf float32': {
    init: 'b,pf,pi,po,wh,wx:dc711a89c3bbdc01',
    init2: 'b,pf,pi,po,wh,wx:b11a247fa5bcbd54',
    step: 'c,h:3a7fa6ae57068744|8f7213fdc3ac4461',
    inspect: '50aeabd51de999dc',
    project: '832b4bb92e80caf2',
    scan: '87673a970caf0755|4e0282900e84f44b',
  },
  'lstm+noaf float64': {
    init: 'b,pf,pi,po,wh,wx:a705c368d548cb81',
    init2: 'b,pf,pi,po,wh,wx:4d535dadb8cbea64',
    step: 'c,h:e918806549459e0c|1fe9b6300f053015',
    inspect: '08c0df7cc9f7bece',
    project: '26198240f0f8b9b3',
    scan: '59f6095894fff2b8|0e5a39a1dfefd0b7',
  },
  'lstm+np float32': {
    init: 'b,wh,wx:9e2cfc005baccb3e',
    init2: 'b,wh,wx:fbd73d008a5409c0',
    step: 'c,h:1c36c6f9eea7cc0e|743717c9d9280354',
    inspect: 'ca2f0d005e1b9711',
    project: 'e2a1d5a862820ebd',
    scan: 'ac4f821143af83e1|0fad68f11c99dbe3',
  },
  'lstm+np float64': {
    init: 'b,wh,wx:a91fdc75ad098d65',
    init2: 'b,wh,wx:b784a5149c4fa17e',
    step: 'c,h:924d0296ea8ccaf6|be4b39e89671d6c3',
    inspect: 'a2e64ccfec8da709',
    project: 'ece2869f9b0e56ba',
    scan: 'ca2c97d1da182346|0f9d427b6d87f332',
  },
  'lstm+cifg float32': {
    init: 'b,pi,po,wh,wx:f37c4719a57ac01c',
    init2: 'b,pi,po,wh,wx:764c0c048c330ddd',
    step: 'c,h:bf1fe2e0d6ccdf90|6e2e7005696bb1e0',
    inspect: '6e6932eaf90ac68c',
    project: 'd9722ca41050357e',
    scan: '54c93bef8c2dc7cb|99cf302cc37130c6',
  },
  'lstm+cifg float64': {
    init: 'b,pi,po,wh,wx:b55bbeb01bd89a42',
    init2: 'b,pi,po,wh,wx:a01a1a8631554846',
    step: 'c,h:460edba9e5a5483b|cc5f2ee2cc0b8c0b',
    inspect: '372b76a0027c9957',
    project: '9069b3e6ade65a24',
    scan: '8ef6b781279a4cc3|7401102411032bb7',
  },
  'lstm+fgr float32': {
    init: 'b,pf,pi,po,wg,wh,wx:02e3d3ad17c6912c',
    init2: 'b,pf,pi,po,wg,wh,wx:2d25031830e0f6df',
    step: 'a,c,h:dd3a4fce03cdc741|d0faecd64988e78c',
    inspect: '15e25499a5810042',
    project: 'ae8438a578b7d33e',
    scan: '3fa01fa0c4ee27db|57a164acdf00e1ac',
  },
  'lstm+fgr float64': {
    init: 'b,pf,pi,po,wg,wh,wx:9e8460578c3d23cd',
    init2: 'b,pf,pi,po,wg,wh,wx:625fe2f8451a0239',
    step: 'a,c,h:9385e5bcf8b3a242|a5f853fe2c53eede',
    inspect: '0ac234e704fbe7d9',
    project: '33ac31ae3da0a99a',
    scan: '71c367fa5fef5f55|18743673a3ccbc70',
  },
  'lstm+cifg+np float32': {
    init: 'b,wh,wx:321bddfb84016a4d',
    init2: 'b,wh,wx:991c987a3bd76dae',
    step: 'c,h:b75841b394674c19|99cc27adf224a139',
    inspect: '5dbc389e2de9dd38',
    project: '0450d61da0d4046b',
    scan: '3e9e1ef1b104ae9b|238f5ac34dab9bb6',
  },
  'lstm+cifg+np float64': {
    init: 'b,wh,wx:8d4129cbc9ca099c',
    init2: 'b,wh,wx:870debd6112d796c',
    step: 'c,h:effba829d721aec2|8460fafb1d617126',
    inspect: 'b796cb63fb77b64a',
    project: '79c710f0b3a3f10c',
    scan: '694320fdecad87fa|90a82a4111fd5b3d',
  },
  'lstm+nig+nfg float32': {
    init: 'b,po,wh,wx:6a2a316119cad03c',
    init2: 'b,po,wh,wx:0e79e4afcfb17f5a',
    step: 'c,h:24a4d1f275da5d09|953a2edbef3610c6',
    inspect: 'b7d29fc4786e94fe',
    project: '40ff73b31c233be6',
    scan: '5438d5e0606fd6e6|67977e6d251f80db',
  },
  'lstm+nig+nfg float64': {
    init: 'b,po,wh,wx:a20ea828bd07014d',
    init2: 'b,po,wh,wx:e4618d926ef5602b',
    step: 'c,h:f9c4530b3af7fb26|ec5065473ac2b2d7',
    inspect: '47a4ae4e828d8950',
    project: '334e588bb4f2df56',
    scan: '4ea5a0f79eacd738|847f7c7a43d8c883',
  },
  'lstm+cifg+fgr float32': {
    init: 'b,pi,po,wg,wh,wx:451d5481fb54cd9d',
    init2: 'b,pi,po,wg,wh,wx:1e2f9ebffd86386e',
    step: 'a,c,h:8dcde5a04d70a67b|187c426ef366f032',
    inspect: 'af6b451e9185af8a',
    project: '97a7bf6181422274',
    scan: '3c65d9540bc93c28|4eeead4663b3ac4b',
  },
  'lstm+cifg+fgr float64': {
    init: 'b,pi,po,wg,wh,wx:efd29e146331ccd0',
    init2: 'b,pi,po,wg,wh,wx:dbfdc98a50576117',
    step: 'a,c,h:46c2bf066a8e1d6c|d9395afc99ba54b4',
    inspect: '359e5ebc614af221',
    project: 'be25884f86de33a4',
    scan: 'c0779ae64ec49921|cacf219ef90635ef',
  },
  'lstm+nog+noaf float32': {
    init: 'b,pf,pi,wh,wx:7b65f5d9f9425d03',
    init2: 'b,pf,pi,wh,wx:60f30728fee08cc7',
    step: 'c,h:3c7233ae1e0cb8cd|87ee3ebe4e40d61f',
    inspect: '08f70daa5ebf0560',
    project: 'd9722ca41050357e',
    scan: 'b264968a2961dff3|a32414adbcb112ff',
  },
  'lstm+nog+noaf float64': {
    init: 'b,pf,pi,wh,wx:3ed50c5329a83e8c',
    init2: 'b,pf,pi,wh,wx:d934e69b0abf9602',
    step: 'c,h:16c66d82d68042e0|c5559540b46bc440',
    inspect: '6f3edd262c4e4544',
    project: '9069b3e6ade65a24',
    scan: 'b185c01c8c754c63|424c4c4cd08decbb',
  },
  'lstm projSize=2 float32': {
    init: 'b,wh,wp,wx:a5b846efc3211a3c',
    init2: 'b,wh,wp,wx:9fde7a99adfea65e',
    step: 'c,h:c38fdadb457ae4ab|973c78b155c93b64',
    inspect: 'd06203c78d3610f1',
    project: '9a02fae35991d52c',
    scan: '245e35f88f9d99c4|d15bba6633ea0f47',
  },
  'lstm projSize=2 float64': {
    init: 'b,wh,wp,wx:99498049e3b535ff',
    init2: 'b,wh,wp,wx:907ea19b0cfe3d88',
    step: 'c,h:60266627bb82fe39|18ef4464115d264b',
    inspect: '433e46c304ad7d20',
    project: '12160c17a2e9216d',
    scan: '9e22e154b84f686f|e45f980d40f38c53',
  },
  'lstm layerNorm=true float32': {
    init: 'b,lncBias,lncGain,lnhBias,lnhGain,lnxBias,lnxGain,wh,wx:ffd737eb715a213c',
    init2: 'b,lncBias,lncGain,lnhBias,lnhGain,lnxBias,lnxGain,wh,wx:5916bf47d59a1cc1',
    step: 'c,h:c12c7b8608f3ec4a|68393577044cf073',
    inspect: '5518411b6a9bfa74',
    project: '278ccc00e0be8e6b',
    scan: 'a3dbf390782c27a9|6486dd1259abcca7',
  },
  'lstm layerNorm=true float64': {
    init: 'b,lncBias,lncGain,lnhBias,lnhGain,lnxBias,lnxGain,wh,wx:bc7ccbd751cd6199',
    init2: 'b,lncBias,lncGain,lnhBias,lnhGain,lnxBias,lnxGain,wh,wx:f8800fd78df07082',
    step: 'c,h:d7af621146583995|9a866a6eb22bc056',
    inspect: '9172fe3fa2787339',
    project: 'c41ca682259536a9',
    scan: 'c5edb4c95c5bc9c9|76dfff464b7030a8',
  },
  'lstm+peephole+fgr projSize=3 layerNorm=true forgetBias=0.5 float32': {
    init: 'b,lncBias,lncGain,lnhBias,lnhGain,lnxBias,lnxGain,pf,pi,po,wg,wh,wp,wx:da52f04783ae433a',
    init2: 'b,lncBias,lncGain,lnhBias,lnhGain,lnxBias,lnxGain,pf,pi,po,wg,wh,wp,wx:78c8ae9885b4ade8',
    step: 'a,c,h:65210426424f093c|bee2413ecf4ae43a',
    inspect: '6631d56e5efe3407',
    project: '8b96cb16bc9065aa',
    scan: 'c4cf90fcc60ea1bf|65a157af70263688',
  },
  'lstm+peephole+fgr projSize=3 layerNorm=true forgetBias=0.5 float64': {
    init: 'b,lncBias,lncGain,lnhBias,lnhGain,lnxBias,lnxGain,pf,pi,po,wg,wh,wp,wx:485962032d40fc97',
    init2: 'b,lncBias,lncGain,lnhBias,lnhGain,lnxBias,lnxGain,pf,pi,po,wg,wh,wp,wx:0072dfc837b16eba',
    step: 'a,c,h:1655f2c43df5644c|31af74bf6be1368a',
    inspect: 'eab14078321c9cce',
    project: '8b5d72e057004140',
    scan: '0c2c53a2d775b081|944bed7dfe068d7c',
  },
  'gru float32': {
    init: 'b,wh,whn,wx:d8b448442188cd66',
    init2: 'b,wh,whn,wx:6344f0c768ee8bcd',
    step: 'h:f3f717fc70375967|f3f717fc70375967',
    inspect: '91fbed9ccc3f2270',
    project: '03a64a7558b16165',
    scan: 'f2d032133fd1eb66|7658458aeccd40d0',
  },
  'gru float64': {
    init: 'b,wh,whn,wx:fed829a3d61db8ad',
    init2: 'b,wh,whn,wx:13f2c61eaec13030',
    step: 'h:0ec8ff3bef0a06f8|0ec8ff3bef0a06f8',
    inspect: 'bcce82ccc5ed4e73',
    project: '3a9abfd31dd24291',
    scan: '131c24b1f76281f9|e57fd6728b956f99',
  },
  'gru+reset-after float32': {
    init: 'b,bhn,wh,wx:09e8eb6cd816e6cc',
    init2: 'b,bhn,wh,wx:d932370b9d8a7c3a',
    step: 'h:f9d05c6917e30c71|f9d05c6917e30c71',
    inspect: '7d151ce267b1336b',
    project: '03a64a7558b16165',
    scan: '3c416036e7a33f1c|83e960a8b2e89ff2',
  },
  'gru+reset-after float64': {
    init: 'b,bhn,wh,wx:aa0480ae4d4327c5',
    init2: 'b,bhn,wh,wx:974cdf3641e14c0b',
    step: 'h:3c80908bf8742f4b|3c80908bf8742f4b',
    inspect: '3944590c91b515d8',
    project: '3a9abfd31dd24291',
    scan: 'e82e88a190c830c8|c134dd98ef84f561',
  },
  'mgu float32': {
    init: 'b,wh,whn,wx:13a552980bf21027',
    init2: 'b,wh,whn,wx:e3d8da355e5be36a',
    step: 'h:cad5696f57c04232|cad5696f57c04232',
    inspect: '7923efcf5070fc01',
    project: '40ff73b31c233be6',
    scan: '9fbf570056e80c1f|a69154e44cd66bad',
  },
  'mgu float64': {
    init: 'b,wh,whn,wx:48114bff54ba6ec6',
    init2: 'b,wh,whn,wx:847a101fc7fc117b',
    step: 'h:a0800862b39f56fb|a0800862b39f56fb',
    inspect: '3d45f582150db399',
    project: '334e588bb4f2df56',
    scan: 'e78e2c6df0297bd9|255c3e8b7d2fa17c',
  },
  'mut1 float32': {
    init: 'b,whh,whr,wp,wx:9554250a97bcae5b',
    init2: 'b,whh,whr,wp,wx:ff31585915b7cd05',
    step: 'h:2cc3b7fcba6b82c5|2cc3b7fcba6b82c5',
    inspect: '2ca7d437d68757e9',
    project: '00824648a279b92a',
    scan: '30c38680b76228a4|1b321e27cfdc9e10',
  },
  'mut1 float64': {
    init: 'b,whh,whr,wp,wx:e62c4680e98698a2',
    init2: 'b,whh,whr,wp,wx:b96828709b22f483',
    step: 'h:464547caeeedec90|464547caeeedec90',
    inspect: 'ffbca7143dab95bc',
    project: '2ffb32f3f2530528',
    scan: 'f6aabf351f4ddec3|7cc116df898659d2',
  },
  'mut1 inputProjection=true float32': {
    init: 'b,whh,whr,wp,wx:9554250a97bcae5b',
    init2: 'b,whh,whr,wp,wx:ff31585915b7cd05',
    step: 'h:2cc3b7fcba6b82c5|2cc3b7fcba6b82c5',
    inspect: '2ca7d437d68757e9',
    project: '00824648a279b92a',
    scan: '30c38680b76228a4|1b321e27cfdc9e10',
  },
  'mut1 inputProjection=true float64': {
    init: 'b,whh,whr,wp,wx:e62c4680e98698a2',
    init2: 'b,whh,whr,wp,wx:b96828709b22f483',
    step: 'h:464547caeeedec90|464547caeeedec90',
    inspect: 'ffbca7143dab95bc',
    project: '2ffb32f3f2530528',
    scan: 'f6aabf351f4ddec3|7cc116df898659d2',
  },
  'mut2 float32': {
    init: 'b,whh,whr,whz,wx:596eacb4f7789361',
    init2: 'b,whh,whr,whz,wx:98c9a5dc8d793347',
    step: 'h:2be1157f535a5120|2be1157f535a5120',
    inspect: '9e1cd3c5565d92c7',
    project: 'd9722ca41050357e',
    scan: '9567a33676b21a13|94d4a998a64abf74',
  },
  'mut2 float64': {
    init: 'b,whh,whr,whz,wx:bfc7c89eaedca95d',
    init2: 'b,whh,whr,whz,wx:c608bb22852299ce',
    step: 'h:436fb4bd3f1c79f7|436fb4bd3f1c79f7',
    inspect: 'a2bb9277c941c3f7',
    project: '9069b3e6ade65a24',
    scan: '1a57778893c8cf74|cd50fb01ace25261',
  },
  'mut3 float32': {
    init: 'b,whh,whr,whz,wx:596eacb4f7789361',
    init2: 'b,whh,whr,whz,wx:98c9a5dc8d793347',
    step: 'h:103c542b655a8f4c|103c542b655a8f4c',
    inspect: '06b46bcb23cb8537',
    project: 'd9722ca41050357e',
    scan: '2c831fb809a92161|78d4a70f27850578',
  },
  'mut3 float64': {
    init: 'b,whh,whr,whz,wx:bfc7c89eaedca95d',
    init2: 'b,whh,whr,whz,wx:c608bb22852299ce',
    step: 'h:6c0c2d59c5b179ab|6c0c2d59c5b179ab',
    inspect: '6bd31596b6d30c1d',
    project: '9069b3e6ade65a24',
    scan: '50266525c4797d91|30e1811aaf124064',
  },
  'rnn float32': {
    init: 'b,wh,wx:7e18508bb20946b1',
    init2: 'b,wh,wx:37bea34073ce6691',
    step: 'h:a8212e3cb3079b4c|a8212e3cb3079b4c',
    inspect: 'a8212e3cb3079b4c',
    project: '7eca0b9270e590e9',
    scan: '89d308da88b7efd5|7c0b79f48fe33d20',
  },
  'rnn float64': {
    init: 'b,wh,wx:923c04b984e7a44e',
    init2: 'b,wh,wx:c056debfd6117015',
    step: 'h:c6b731b094bb8549|c6b731b094bb8549',
    inspect: 'c6b731b094bb8549',
    project: '54bf30d1070dde1c',
    scan: 'b85072bff9812c83|7ead15490b45ab11',
  },
  'rnn+relu float32': {
    init: 'b,wh,wx:7e18508bb20946b1',
    init2: 'b,wh,wx:37bea34073ce6691',
    step: 'h:b2ffcc0fecd39a9c|b2ffcc0fecd39a9c',
    inspect: 'b2ffcc0fecd39a9c',
    project: '7eca0b9270e590e9',
    scan: 'a96f7bd84b22e2cb|4099043b59ed9c2e',
  },
  'rnn+relu float64': {
    init: 'b,wh,wx:923c04b984e7a44e',
    init2: 'b,wh,wx:c056debfd6117015',
    step: 'h:270fa759b2e28faf|270fa759b2e28faf',
    inspect: '270fa759b2e28faf',
    project: '54bf30d1070dde1c',
    scan: 'd322bd4355c5153f|86ddf9661eb06079',
  },
};

describe('built-in cells draw and compute the same bits as before the cell API rewrite', () => {
  const print = process.env['PIN_PRINT'] === '1';
  const table: Record<string, Record<string, string>> = {};
  for (const c of CASES) {
    for (const dtype of ['float32', 'float64'] as const) {
      const name = label(c, dtype);
      it(name, () => {
        const cell = makeCell(c.spec, { inputSize: D, hiddenSize: H, dtype, ...c.options });
        const f = fingerprint(cell, dtype);
        table[name] = f;
        if (!print) expect(f).toEqual(PINNED[name]);
      });
    }
  }
  if (print) it('prints the table', () => console.log(JSON.stringify(table, null, 2)));
});
