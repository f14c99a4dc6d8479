/**
 * nn's own SHA-256 and base64 (nn/src/bytes.ts), which let parameter files be
 * encoded and decoded without Node built-ins, against Node's implementations.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64, sha256, sha256Bytes, toBase64 } from '../src/bytes.js';

const nodeSha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('sha256', () => {
  it('matches the FIPS 180-4 examples', () => {
    expect(sha256('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it('matches node:crypto at every length around the block boundaries', () => {
    for (let n = 0; n <= 200; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
      expect(sha256Bytes(b), `length ${n}`).toBe(nodeSha(b));
    }
  });

  it('hashes the UTF-8 bytes of any text as node:crypto does', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (s) => sha256(s) === createHash('sha256').update(s, 'utf8').digest('hex')));
  });
});

describe('base64', () => {
  it('encodes as Buffer does and decodes back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        const text = toBase64(b);
        expect(text).toBe(Buffer.from(b).toString('base64'));
        expect(fromBase64(text)).toEqual(b);
      }),
    );
  });

  it('rejects text that is not canonical base64', () => {
    for (const bad of ['A', 'AB', 'ABC', 'A===', '=AAA', 'AA=A', 'AB==', 'ABD=', 'AAAA\n', 'AA AA', 'AAA!', 'AAAé']) {
      expect(fromBase64(bad), JSON.stringify(bad)).toBeUndefined();
    }
    expect(fromBase64('AA==')).toEqual(new Uint8Array([0]));
    expect(fromBase64('AAE=')).toEqual(new Uint8Array([0, 1]));
    expect(fromBase64('')).toEqual(new Uint8Array(0));
  });
});
