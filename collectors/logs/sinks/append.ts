import type { FileHandle } from 'node:fs/promises';

/**
 * Appends `data` to a file whose size is `position` completely, or not at all: short writes
 * are continued, and on an error (a full disk) the file is truncated back to `position` before
 * the error is passed on, so that a retry never leaves a torn line behind. Syncs when asked.
 */
export async function appendWhole(handle: FileHandle, data: Buffer, position: number, sync: boolean): Promise<void> {
  let written = 0;
  try {
    while (written < data.length) {
      const { bytesWritten } = await handle.write(data, written, data.length - written, position + written);
      if (bytesWritten === 0) throw new Error(`short write: ${written} of ${data.length} bytes`);
      written += bytesWritten;
    }
    if (sync) await handle.sync();
  } catch (error) {
    await handle.truncate(position).catch(() => undefined);
    throw error;
  }
}
