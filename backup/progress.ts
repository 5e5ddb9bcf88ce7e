import cliProgress from 'cli-progress';

/** A byte progress bar on stderr, or nothing when stderr is not a terminal (scripts, logs). */
export interface ByteProgress {
  /** Sets the bytes done and, when known, the total. */
  update(bytes: number, total?: number): void;
  stop(): void;
}

/** Creates a progress bar titled `title` when stderr is a terminal; a no-op otherwise. */
export function byteProgress(title: string, stream: NodeJS.WriteStream = process.stderr): ByteProgress {
  if (!stream.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${title.padEnd(10)} [{bar}] {percentage}% | {done} / {size}`,
      hideCursor: true,
      clearOnComplete: false,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let lastTotal = 1;
  return {
    update(bytes, total) {
      if (total !== undefined && total > 0) lastTotal = Math.max(total, bytes);
      else lastTotal = Math.max(lastTotal, bytes);
      const payload = { done: formatBytes(bytes), size: total !== undefined && total > 0 ? formatBytes(total) : '?' };
      if (!started) {
        bar.start(lastTotal, bytes, payload);
        started = true;
      } else {
        bar.setTotal(lastTotal);
        bar.update(bytes, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** Formats a byte count for people: 1.5 MiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
