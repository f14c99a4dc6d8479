// Runs every @example of the training modules of @mnemo/nn (layers, losses,
// initializers, optimizers, schedules, clipping, parameter files) as written,
// with console.assert turned into a throwing check.
import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FILES = ['layers.ts', 'losses.ts', 'init.ts', 'optim.ts', 'schedules.ts', 'clip.ts', 'params.ts'];
const srcDir = fileURLToPath(new URL('../src/', import.meta.url));
const outDir = fs.mkdtempSync(join(tmpdir(), 'mnemo-nn-examples-'));
afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

/** The ```ts blocks that follow an @example tag, with the comment's leading `* ` removed. */
function examples(source: string): string[] {
  const out: string[] = [];
  const re = /@example\s*\n?\s*\*?\s*```ts\n([\s\S]*?)\n\s*\*?\s*```/g;
  for (const m of source.matchAll(re)) {
    out.push(
      m[1]!
        .split('\n')
        .map((l) => l.replace(/^\s*\* ?/, ''))
        .join('\n'),
    );
  }
  return out;
}

for (const file of FILES) {
  const blocks = examples(fs.readFileSync(join(srcDir, file), 'utf8'));
  describe(`@example blocks of nn/src/${file}`, () => {
    it('has examples', () => expect(blocks.length).toBeGreaterThan(0));
    blocks.forEach((code, i) => {
      const firstLine = code.split('\n').find((l) => !l.startsWith('import')) ?? '';
      it(`#${i + 1}: ${firstLine.slice(0, 70)}`, async () => {
        const path = join(outDir, `${file.replace('.ts', '')}-${i}.ts`);
        fs.writeFileSync(path, code);
        const original = console.assert;
        const failures: unknown[] = [];
        console.assert = (cond?: unknown, ...rest: unknown[]) => {
          if (!cond) failures.push(rest.length > 0 ? rest : 'console.assert failed');
        };
        try {
          await import(/* @vite-ignore */ path);
        } finally {
          console.assert = original;
        }
        expect(failures, code).toEqual([]);
      });
    });
  });
}
