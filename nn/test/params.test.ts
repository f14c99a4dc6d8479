import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { tensor, unsafeDataOf, unsafeFromData, type Tensor } from '@mnemo/core';
import { adam, decodeParams, encodeParams, ParamFileError, type OptState } from '@mnemo/nn';
import { loadParams, loadParamsOrThrow, saveParams, type ParamFileSystem } from '@mnemo/nn/node';

const dir = fs.mkdtempSync(join(tmpdir(), 'mnemo-params-test-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A float64 tensor from raw 64-bit patterns (hex), so NaN payloads are exact. */
function f64Bits(hex: readonly bigint[]): Tensor {
  const a = new Float64Array(hex.length);
  new BigUint64Array(a.buffer).set(hex);
  return unsafeFromData(a, [hex.length]);
}
function f32Bits(words: readonly number[], shape: number[]): Tensor {
  const a = new Float32Array(words.length);
  new Uint32Array(a.buffer).set(words);
  return unsafeFromData(a, shape);
}
const bytesOf = (t: Tensor): string => Buffer.from(new Uint8Array(unsafeDataOf(t).buffer.slice(0))).toString('hex');

type Model = { layers: [{ w: Tensor }, { b: Tensor }]; emb: Tensor; scalar: Tensor };
const model: Model = {
  layers: [
    {
      w: f64Bits([
        0x7ff8000000000123n, // NaN with a payload
        0xfff0000000000001n, // signalling-pattern NaN, sign set
        0x8000000000000000n, // -0
        0x0000000000000001n, // the smallest subnormal, 5e-324
        0x000fffffffffffffn, // the largest subnormal
        0x7ff0000000000000n, // +Infinity
        0xfff0000000000000n, // -Infinity
        0x7fefffffffffffffn, // the largest double
        0x3fb999999999999an, // 0.1
      ]),
    },
    { b: f32Bits([0x7fc00123, 0x80000000, 0x00000001, 0x3dcccccd, 0xff800000, 0x7f7fffff], [2, 3]) },
  ],
  emb: tensor([[1, 2], [3, 4]], 'float32'),
  scalar: tensor(3.25, 'float64'),
};

function leavesHex(m: Model): string[] {
  return [m.emb, m.layers[0].w, m.layers[1].b, m.scalar].map(bytesOf);
}

/** The test's own canonical JSON (sorted keys, no spaces) and checksum, to forge well-formed files. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}
function reseal(file: { sha256: string; content: unknown }): string {
  file.sha256 = createHash('sha256').update(canonical(file.content)).digest('hex');
  return JSON.stringify(file);
}

function leftOf<A>(r: E.Either<string, A>): string {
  if (E.isRight(r)) throw new Error('expected a rejection, got a Right');
  return r.left;
}

describe('parameter files: exact round trip', () => {
  it('params, optimizer state and metadata come back bit for bit (NaN payloads, -0, subnormals, infinities)', () => {
    const opt = adam({ lr: 0.1 });
    const grads: Model = {
      layers: [{ w: tensor(new Float64Array(9).fill(0.5)) }, { b: tensor(new Float32Array(6).fill(-1), 'float32', [2, 3]) }],
      emb: tensor([[1, 1], [1, 1]], 'float32'),
      scalar: tensor(1, 'float64'),
    };
    const [, state] = opt.update(grads, opt.init(model), model);
    const path = join(dir, 'roundtrip.json');
    const metadata = { epoch: 7, config: { cell: 'lstm', hidden: [128, 64], dropout: 0.25 }, note: 'ü ✓', ok: true, none: null };
    saveParams(path, { params: model, optimizer: state, metadata });
    const back = loadParamsOrThrow(path, { like: model });
    expect(leavesHex(back.params)).toEqual(leavesHex(model));
    expect(back.params.layers[0].w.dtype).toBe('float64');
    expect(back.params.layers[1].b.dtype).toBe('float32');
    expect(back.params.layers[1].b.shape).toEqual([2, 3]);
    expect(back.params.scalar.shape).toEqual([]);
    expect(back.metadata).toEqual(metadata);
    const s = back.optimizer as OptState<Model>;
    expect(s.step).toBe(1);
    expect(Object.keys(s.slots).sort()).toEqual(['m', 'v']);
    expect(leavesHex(s.slots['m']!)).toEqual(leavesHex(state.slots['m']!));
    expect(leavesHex(s.slots['v']!)).toEqual(leavesHex(state.slots['v']!));
    // Training resumed from the file continues exactly as it would have.
    const [p1] = opt.update(grads, state, model);
    const [p2] = opt.update(grads, s, back.params);
    expect(leavesHex(p2)).toEqual(leavesHex(p1));
  });

  it('without optimizer and metadata, and as pure text', () => {
    const text = encodeParams({ params: [tensor([1.5], 'float64')] });
    const r = decodeParams(text);
    expect(E.isRight(r)).toBe(true);
    const f = (r as E.Right<{ params: unknown; optimizer?: unknown; metadata?: unknown }>).right;
    expect(f.optimizer).toBeUndefined();
    expect(f.metadata).toBeUndefined();
    expect((f.params as Tensor[])[0]!.toArray()).toEqual(new Float64Array([1.5]));
    expect(JSON.parse(text).format).toBe('mnemo-params');
    // data is the base64 of little-endian IEEE 754 bytes: 1.5 = 0x3FF8000000000000
    expect(JSON.parse(text).content.params.array[0].tensor).toEqual({ data: Buffer.from('000000000000f83f', 'hex').toString('base64'), dtype: 'float64', shape: [1] });
    // Saving the same content twice gives the same bytes.
    expect(encodeParams({ params: model, metadata: { b: 1, a: 2 } })).toBe(encodeParams({ params: model, metadata: { a: 2, b: 1 } }));
  });

  it('refuses metadata that is not JSON and params that are not pytrees', () => {
    expect(() => encodeParams({ params: model, metadata: { loss: NaN } })).toThrow(/metadata\.loss.*NaN is not a JSON number/);
    expect(() => encodeParams({ params: model, metadata: { f: undefined } as never })).toThrow(/metadata\.f.*undefined is not JSON/);
    expect(() => encodeParams({ params: { w: [1, 2] } as never })).toThrow(ParamFileError);
  });
});

describe('parameter files: rejected with a report naming the problem', () => {
  const path = join(dir, 'good.json');
  saveParams(path, { params: model, metadata: { epoch: 1 } });
  const good = fs.readFileSync(path, 'utf8');
  const write = (name: string, text: string): string => {
    const p = join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  };

  it('a truncated file', () => {
    for (const cut of [0, 1, 40, Math.floor(good.length / 2), good.length - 3]) {
      const msg = leftOf(loadParams(write('truncated.json', good.slice(0, cut))));
      expect(msg).toMatch(/^parameter file .*truncated\.json rejected:\n/);
      expect(msg).toMatch(cut === 0 ? /the file is empty/ : /not valid JSON .*the file is truncated or damaged/);
    }
  });

  it('an altered value (checksum mismatch)', () => {
    const file = JSON.parse(good);
    const data: string = file.content.params.record.emb.tensor.data;
    file.content.params.record.emb.tensor.data = (data[0] === 'A' ? 'B' : 'A') + data.slice(1);
    const msg = leftOf(loadParams(write('altered.json', JSON.stringify(file))));
    expect(msg).toMatch(/sha256: checksum mismatch: the file records [0-9a-f]{64}, its content hashes to [0-9a-f]{64}; the file was altered or damaged/);
    const meta = JSON.parse(good);
    meta.content.metadata.epoch = 2;
    expect(leftOf(loadParams(write('altered-meta.json', JSON.stringify(meta))))).toMatch(/checksum mismatch/);
  });

  it('another version or format', () => {
    const v2 = JSON.parse(good);
    v2.version = 2;
    expect(leftOf(loadParams(write('v2.json', JSON.stringify(v2))))).toMatch(/version: this file is version 2; this version of mnemo reads version 1 only/);
    const other = JSON.parse(good);
    other.format = 'safetensors';
    expect(leftOf(loadParams(write('other.json', JSON.stringify(other))))).toMatch(/format: expected "mnemo-params", got "safetensors"/);
    expect(leftOf(decodeParams('[1, 2]'))).toMatch(/expected a JSON object, got \[1,2\]/);
  });

  it('a malformed field, even with a matching checksum, is named by its path', () => {
    const bad = JSON.parse(good);
    bad.content.params.record.layers.array[0].record.w.tensor.dtype = 'float16';
    expect(leftOf(loadParams(write('dtype.json', reseal(bad))))).toContain(
      'content.params.record.layers.array.0.record.w.tensor.dtype: expected "float32" | "float64", got "float16"',
    );
    const shape = JSON.parse(good);
    shape.content.params.record.emb.tensor.shape = [2, 3];
    expect(leftOf(loadParams(write('shape.json', reseal(shape))))).toContain(
      'content.params.record.emb.tensor.data: data holds 16 bytes, a float32 tensor of 6 element(s) needs 24 (shape [2, 3])',
    );
    const missing = JSON.parse(good);
    delete missing.content.optimizer;
    expect(leftOf(loadParams(write('missing.json', reseal(missing))))).toContain('content.optimizer: expected null | OptState, got nothing (the field is missing)');
    const node = JSON.parse(good);
    node.content.params.record.scalar = { tensor: node.content.params.record.scalar.tensor, array: [] };
    expect(leftOf(loadParams(write('node.json', reseal(node))))).toMatch(/content\.params\.record\.scalar: a node has exactly one key, "tensor", "array" or "record"; this one has \{"tensor", "array"\}/);
    const b64 = JSON.parse(good);
    b64.content.params.record.scalar.tensor.data = '!!!!' + b64.content.params.record.scalar.tensor.data;
    expect(leftOf(loadParams(write('b64.json', reseal(b64))))).toMatch(/content\.params\.record\.scalar\.tensor\.data: data is not canonical base64/);
    const sum = JSON.parse(good);
    sum.sha256 = 'xyz';
    expect(leftOf(loadParams(write('sha.json', JSON.stringify(sum))))).toMatch(/sha256: expected 64 lowercase hex digits; got "xyz"/);
  });

  it('a file of another model (the template does not match)', () => {
    const like = { ...model, emb: tensor([[0, 0, 0]], 'float32') };
    expect(leftOf(loadParams(path, { like }))).toContain('params.emb: the file holds float32 [2, 2], the template float32 [1, 3]');
    expect(leftOf(loadParams(path, { like: { emb: model.emb } }))).toMatch(/params: the file holds \{emb: \*, layers: .*\}, the template is \{emb: \*\}/);
  });

  it('a missing file; the throwing form names the path', () => {
    expect(leftOf(loadParams(join(dir, 'nope.json')))).toMatch(/cannot read it: ENOENT/);
    expect(() => loadParamsOrThrow(join(dir, 'nope.json'))).toThrow(/loadParams: argument '.*nope\.json': parameter file .* rejected:\ncannot read it/);
  });
});

describe('parameter files: atomic save', () => {
  const tmpFiles = (): string[] => fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));

  it('a failure mid-save (rename, write, fsync) leaves the previous file intact and no temporary file', () => {
    const path = join(dir, 'atomic.json');
    saveParams(path, { params: model, metadata: { version: 'old' } });
    const before = fs.readFileSync(path);
    const failing: ParamFileSystem[] = [
      { ...fs, renameSync: () => { throw new Error('simulated crash before rename'); } },
      {
        ...fs,
        // write half of the bytes, then die
        writeSync: ((fd: number, buf: Uint8Array, off: number, len: number) => {
          fs.writeSync(fd, buf, off, Math.floor(len / 2));
          throw new Error('simulated crash mid-write');
        }) as unknown as typeof fs.writeSync,
      },
      { ...fs, fsyncSync: () => { throw new Error('simulated I/O error on fsync'); } },
    ];
    for (const f of failing) {
      expect(() => saveParams(path, { params: { other: tensor([1]) }, metadata: { version: 'new' } }, { fs: f })).toThrow(
        /saveParams: argument '.*atomic\.json': could not write the file \(simulated .*\); any previous file at this path is unchanged/,
      );
      expect(fs.readFileSync(path).equals(before)).toBe(true);
      expect(tmpFiles()).toEqual([]);
      expect(loadParamsOrThrow(path).metadata).toEqual({ version: 'old' });
    }
    // and a save that succeeds replaces it
    saveParams(path, { params: model, metadata: { version: 'new' } });
    expect(loadParamsOrThrow(path).metadata).toEqual({ version: 'new' });
    expect(tmpFiles()).toEqual([]);
  });

  it('writes to a temporary file in the same directory, fsyncs it, then renames', () => {
    const calls: string[] = [];
    const spy: ParamFileSystem = {
      ...fs,
      openSync: ((p: string, flags: string, mode?: number) => {
        calls.push(`open ${p.startsWith(dir) ? 'same-dir' : 'elsewhere'} ${flags}`);
        return fs.openSync(p, flags, mode);
      }) as typeof fs.openSync,
      fsyncSync: (fd: number) => {
        calls.push('fsync');
        fs.fsyncSync(fd);
      },
      renameSync: (a: fs.PathLike, b: fs.PathLike) => {
        calls.push('rename');
        fs.renameSync(a, b);
      },
    };
    saveParams(join(dir, 'order.json'), { params: model }, { fs: spy });
    expect(calls.slice(0, 3)).toEqual(['open same-dir wx', 'fsync', 'rename']);
  });

  it('a directory that cannot be written is reported and nothing changes', () => {
    expect(() => saveParams(join(dir, 'no', 'such', 'dir', 'm.json'), { params: model })).toThrow(/could not write the file \(ENOENT/);
  });
});
