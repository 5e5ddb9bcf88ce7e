// The torture's writer and rotator, in a process of its own so that its clock does not depend on
// the sink's work: writes the logs at the rate, rotates them (writing and rotating in one process,
// as containerd and kubelet/logrotate never lose a line between them), and reports every generation
// the rotation deleted and, at the end, how many messages each log got.
import { TortureLog, writeLogs, type Rotation, type WriteOptions } from '../../test/unit/logs/support/torture.ts';

/** What the parent sends to start writing. */
export interface WriterStart {
  files: { path: string; name: string; rotation: Rotation }[];
  lineBytes: number;
  write: WriteOptions;
}

/** What the writer reports. */
export type WriterReport =
  | { type: 'deleted'; file: string; name: string; at: number; first: number; end: number }
  | { type: 'progress'; written: number }
  | {
      type: 'done';
      writeMs: number;
      files: { name: string; count: number; padding: string; rotations: number }[];
    };

function report(message: WriterReport): void {
  process.send!(message);
}

process.once('message', (start: WriterStart) => {
  const logs = start.files.map((f) => {
    const log = new TortureLog(f.path, f.name, f.rotation, start.lineBytes, false);
    log.onDelete = (g) => report({ type: 'deleted', file: f.name, ...g });
    return log;
  });
  const progress = setInterval(() => report({ type: 'progress', written: logs.reduce((n, l) => n + l.seq, 0) }), 1000);
  void writeLogs(logs, start.write).then((writeMs) => {
    clearInterval(progress);
    report({
      type: 'done',
      writeMs,
      files: logs.map((l) => ({ name: l.name, count: l.seq, padding: l.padding, rotations: l.rotations })),
    });
    process.disconnect();
  });
});
