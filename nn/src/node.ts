/**
 * `@mnemo/nn/node`: what `@mnemo/nn` does with Node's file system, kept out of
 * `@mnemo/nn` so that it loads in a browser: saving and loading parameter
 * files ({@link saveParams}, {@link loadParams}, {@link loadParamsOrThrow}).
 * Their format and codec ({@link @mnemo/nn!encodeParams}, {@link @mnemo/nn!decodeParams})
 * stay in `@mnemo/nn` and run anywhere.
 *
 * @packageDocumentation
 */
export * from './files.js';
