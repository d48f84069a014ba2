// Types of the hyparquet-compressors files parquet.ts imports one by one (the package only types
// its index, which also builds a WASM snappy decoder at load: see parquet.ts for why we avoid it).
// Signatures as in the package's src/index.d.ts (hyparquet-compressors 1.1.2).
declare module 'hyparquet-compressors/src/gzip.js' {
  export function gunzip(input: Uint8Array, output?: Uint8Array): Uint8Array;
}
declare module 'hyparquet-compressors/src/brotli.js' {
  export function decompressBrotli(input: Uint8Array, outputLength: number): Uint8Array;
}
declare module 'hyparquet-compressors/src/lz4.js' {
  export function decompressLz4(input: Uint8Array, outputLength: number): Uint8Array;
  export function decompressLz4Raw(input: Uint8Array, outputLength: number): Uint8Array;
}
