import { constants, createGunzip, createGzip, createZstdCompress, createZstdDecompress } from 'node:zlib';
import { PassThrough, type Transform } from 'node:stream';

/** Compression of stored backup files. */
export type Compression = 'zstd' | 'gzip' | 'none';

/** A compressing stream for the given algorithm (zstd level 3, gzip level 6: fast, good ratio). */
export function compressor(compression: Compression): Transform {
  if (compression === 'zstd') {
    return createZstdCompress({ params: { [constants.ZSTD_c_compressionLevel]: 3, [constants.ZSTD_c_checksumFlag]: 1 } });
  }
  if (compression === 'gzip') return createGzip({ level: 6 });
  return new PassThrough();
}

/** The decompressing stream that undoes {@link compressor}. */
export function decompressor(compression: Compression): Transform {
  if (compression === 'zstd') return createZstdDecompress();
  if (compression === 'gzip') return createGunzip();
  return new PassThrough();
}
