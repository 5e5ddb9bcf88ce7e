import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CriParser } from '../../../collectors/logs/parsers/cri.ts';
import { FileEmitter } from '../../../collectors/logs/pipeline/emitter.ts';
import { IndexNames } from '../../../collectors/logs/pipeline/index-names.ts';
import { CheckpointStore } from '../../../collectors/logs/sources/checkpoint.ts';
import { FileSource } from '../../../collectors/logs/sources/file-source.ts';
import { captureRig, logsConfig } from './support/capture.ts';
import { eventually } from './support/agent-process.ts';

const line = (m: string): string => `2024-03-01T10:00:00Z stdout F ${m}\n`;

describe('FileSource', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function start(
    dir: string,
    startAt: 'beginning' | 'end' = 'beginning',
    maxLineBytes = 1 << 20,
  ): Promise<{
    rig: ReturnType<typeof captureRig>;
    store: CheckpointStore;
    source: FileSource;
    stop: () => Promise<void>;
  }> {
    const rig = captureRig();
    const store = new CheckpointStore(join(dir, 'checkpoints.json'));
    const loaded = await store.load();
    const config = logsConfig({ tail: { pollIntervalMs: 20, scanIntervalSeconds: 0.2, rotatedGraceSeconds: 0.2 } });
    const source = new FileSource('containers', {
      source: 'containers',
      pipeline: rig.pipeline,
      checkpoints: store,
      tail: config.tail,
      maxLineBytes,
      logger: pino({ level: 'silent' }),
      metrics: rig.metrics,
      fresh: loaded.fresh,
      patterns: [join(dir, 'logs/*.log')],
      startAt,
      makeParser: (_path, _first, target, idPrefix) => {
        const emitter = new FileEmitter(
          rig.pipeline,
          new IndexNames('wk', false),
          { redactions: [], parseJson: false, maxMessageBytes: 1 << 20 },
          target,
          idPrefix,
          Buffer.from('}}'),
        );
        return { emitter, parser: new CriParser(emitter, 1 << 20) };
      },
    });
    await source.start();
    let stopped = false;
    const stop = async (): Promise<void> => {
      if (stopped) return;
      stopped = true;
      await source.stop();
      await rig.pipeline.stop(2000);
      await store.save();
    };
    cleanups.push(stop);
    return { rig, store, source, stop };
  }

  const messages = (rig: ReturnType<typeof captureRig>): string[] => rig.sink.docs.map((d) => String(d.doc.message));

  it('starts at the end of files present at start, and at the beginning of files created later', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wk-fs-'));
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logs/old.log'), line('old-1'));
    const { rig } = await start(dir, 'end');
    appendFileSync(join(dir, 'logs/old.log'), line('old-2'));
    writeFileSync(join(dir, 'logs/new.log'), line('new-1'));
    await eventually(() => messages(rig).length >= 2, 10_000, 20);
    expect(messages(rig).sort()).toEqual(['new-1', 'old-2']);
  });

  it('resumes from the checkpoint after a restart, without re-sending, and follows a file renamed meanwhile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wk-fs-'));
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logs/a.log'), line('a-1') + line('a-2'));
    const first = await start(dir);
    await eventually(() => messages(first.rig).length >= 2, 10_000, 20);
    await first.stop();
    appendFileSync(join(dir, 'logs/a.log'), line('a-3'));
    renameSync(join(dir, 'logs/a.log'), join(dir, 'logs/a.log.1'));
    writeFileSync(join(dir, 'logs/a.log'), line('b-1'));
    const second = await start(dir);
    await eventually(() => messages(second.rig).length >= 2, 10_000, 20);
    expect(messages(second.rig).sort()).toEqual(['a-3', 'b-1']);
    expect(second.rig.sink.docs.find((d) => d.doc.message === 'a-3')!.id).toMatch(/-68$/);
  });

  it('treats a reused inode with a new first line as a new file, and reads deleted files to their end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wk-fs-'));
    mkdirSync(join(dir, 'logs'));
    const path = join(dir, 'logs/r.log');
    writeFileSync(path, line('first-content'));
    const { rig } = await start(dir);
    await eventually(() => messages(rig).includes('first-content'), 10_000, 20);
    // Same inode, new content longer than the old offset: copytruncate then fast writes.
    writeFileSync(path, line('second-content-which-is-longer') + line('second-2'));
    await eventually(() => messages(rig).includes('second-2'), 10_000, 20);
    expect(messages(rig)).toEqual(['first-content', 'second-content-which-is-longer', 'second-2']);
    const ids = new Set(rig.sink.docs.map((d) => d.id));
    expect(ids.size).toBe(3);
    appendFileSync(path, line('last-words'));
    rmSync(path);
    await eventually(() => messages(rig).includes('last-words'), 10_000, 20);
    expect(messages(rig)).toContain('last-words');
  });

  it('cuts lines longer than the bound, survives binary content and keeps going', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wk-fs-'));
    mkdirSync(join(dir, 'logs'));
    const huge = 'y'.repeat(3 << 20);
    writeFileSync(join(dir, 'logs/big.log'), line('before') + line(huge) + line('after'));
    writeFileSync(
      join(dir, 'logs/bin.log'),
      Buffer.concat([Buffer.from([0, 1, 2, 0xff, 0xfe, 10]), Buffer.from(line('text after binary'))]),
    );
    const { rig } = await start(dir, 'beginning', 256 * 1024);
    await eventually(() => messages(rig).includes('after') && messages(rig).includes('text after binary'), 10_000, 20);
    const big = rig.sink.docs.filter((d) => d.doc.log && String(d.doc.message).startsWith('y'));
    expect(big).toHaveLength(1);
    expect(String(big[0]!.doc.message).length).toBeLessThan(256 * 1024);
    expect(messages(rig)).toContain('before');
    expect(messages(rig)).toContain('\u0000\u0001\u0002\ufffd\ufffd');
    const errors = await rig.metrics.parseErrors.get();
    expect(errors.values.map((v) => v.labels.reason).sort()).toEqual(
      expect.arrayContaining(['line_too_long', 'not_cri']),
    );
  });
});
