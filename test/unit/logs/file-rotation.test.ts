import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CriParser } from '../../../collectors/logs/parsers/cri.ts';
import { FileEmitter } from '../../../collectors/logs/pipeline/emitter.ts';
import { IndexNames } from '../../../collectors/logs/pipeline/index-names.ts';
import { CheckpointStore } from '../../../collectors/logs/sources/checkpoint.ts';
import { FileSource } from '../../../collectors/logs/sources/file-source.ts';
import { until } from '../../support/eventually.ts';
import { captureRig } from './support/capture.ts';

// Zero loss in the tailer: rotations (rename, gzip, delete; copytruncate) while reading is paused,
// and restarts that lost everything not yet persisted (the first run's sink never answers, as
// after kill -9). Every test writes numbered lines and checks each arrived, in order per file.

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A container log written and rotated like kubelet (rename, later gzip and delete) or logrotate (copytruncate). */
class Log {
  readonly path: string;
  readonly written: string[] = [];
  private n = 0;
  private rotations = 0;
  /** Added to the seconds of the timestamps written from now on (time passes). */
  shiftSeconds = 0;
  readonly name: string;
  constructor(dir: string, name: string) {
    this.name = name;
    this.path = join(dir, `${name}.log`);
  }
  write(lines: number, tag: 'F' | 'P' = 'F'): void {
    let text = '';
    for (let i = 0; i < lines; i++) {
      const message = `${this.name}-${this.n++}`;
      if (tag === 'F') this.written.push(message);
      const seconds = String(5 + this.shiftSeconds).padStart(2, '0');
      const ts = `2026-01-02T03:04:${seconds}.${String(this.n).padStart(9, '0')}Z`;
      text += `${ts} stdout ${tag} ${message} ${'x'.repeat(80)}\n`;
    }
    appendFileSync(this.path, text);
  }
  /** kubelet: 0.log -> 0.log.<n>; returns the rotated name. */
  rename(): string {
    const to = `${this.path}.2026010203040${++this.rotations}`;
    renameSync(this.path, to);
    return to;
  }
  /** logrotate: copy to <path>.<n>, truncate; returns the copy's name. */
  copytruncate(): string {
    const to = `${this.path}.${++this.rotations}`;
    copyFileSync(this.path, to);
    truncateSync(this.path, 0);
    return to;
  }
}

/** kubelet's compression of a rotated file: .gz written under a temporary name, renamed, original removed. */
function gzip(path: string): void {
  writeFileSync(`${path}.gz.tmp`, gzipSync(readFileSync(path)));
  renameSync(`${path}.gz.tmp`, `${path}.gz`);
  rmSync(path);
}

describe('tailer under rotation, pauses and restarts', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function run(dir: string, options: { hold?: boolean } = {}) {
    // A small buffer bound: reading pauses after a few batches, as when Elasticsearch is slow or down.
    const rig = captureRig({}, { maxBytes: 4096, maxBufferedBytes: 16 * 1024, maxDelayMs: 20 });
    let release: () => void = () => undefined;
    if (options.hold)
      rig.sink.hold = new Promise((resolve) => {
        release = resolve;
      });
    const store = new CheckpointStore(join(dir, 'checkpoints.json'));
    const loaded = await store.load();
    const source = new FileSource('containers', {
      source: 'containers',
      pipeline: rig.pipeline,
      checkpoints: store,
      maxLineBytes: 1 << 20,
      fresh: loaded.fresh,
      tail: {
        pollIntervalMs: 20,
        scanIntervalSeconds: 0.2,
        rotatedGraceSeconds: 0.3,
        readBufferBytes: 64 * 1024,
        fingerprintBytes: 256,
      },
      logger: pino({ level: 'silent' }),
      metrics: rig.metrics,
      patterns: [join(dir, 'logs/*.log')],
      startAt: 'end',
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
    /** A clean stop: flush, acknowledge, persist. */
    const stop = async (): Promise<void> => {
      if (stopped) return;
      stopped = true;
      release();
      await source.stop();
      await rig.pipeline.stop(2000);
      await store.save();
    };
    /** As kill -9: what was persisted stays, nothing else happens (the held sink never answers). */
    const kill = async (): Promise<void> => {
      stopped = true;
      await source.stop();
    };
    cleanups.push(stop);
    const messages = (): string[] => rig.sink.docs.map((d) => String(d.doc.message).split(' ')[0]!);
    return { rig, store, source, stop, kill, release: () => release(), messages };
  }

  function setup(): { dir: string; logs: string } {
    const dir = mkdtempSync(join(tmpdir(), 'wk-rot-'));
    mkdirSync(join(dir, 'logs'));
    return { dir, logs: join(dir, 'logs') };
  }

  const inOrder = (got: string[], log: Log): string[] => got.filter((m) => m.startsWith(`${log.name}-`));

  /**
   * Waits until the agent registered the generation that starts with `message` (as kubelet's rotation interval
   * allows).
   */
  const seen = (store: CheckpointStore, message: string): Promise<void> =>
    until(
      () => store.list().some((e) => Buffer.from(e.fingerprint, 'base64').toString().includes(` ${message} `)),
      `generation ${message} seen`,
      5000,
    );

  it('reads every renamed generation in order while reading is paused, also after gzip and delete', async () => {
    const { dir, logs } = setup();
    const a = new Log(logs, 'a');
    const agent = await run(dir, { hold: true });
    const rotated: string[] = [];
    for (let round = 0; round < 6; round++) {
      a.write(200);
      await seen(agent.store, `a-${round * 200}`);
      rotated.push(a.rename());
      // kubelet compresses all but the newest rotated file and deletes beyond its count.
      if (rotated.length > 1) gzip(rotated[rotated.length - 2]!);
      if (rotated.length > 3) rmSync(`${rotated[rotated.length - 4]!}.gz`);
    }
    a.write(200);
    agent.release();
    await until(() => agent.messages().length >= a.written.length, 'every line shipped', 20_000);
    expect(inOrder(agent.messages(), a)).toEqual(a.written);
  });

  it('reads every copytruncated generation once and in order while reading is paused', async () => {
    const { dir, logs } = setup();
    const b = new Log(logs, 'b');
    const agent = await run(dir, { hold: true });
    for (let round = 0; round < 6; round++) {
      b.write(200);
      await seen(agent.store, `b-${round * 200}`);
      b.copytruncate();
    }
    b.write(200);
    agent.release();
    await until(() => agent.messages().length >= b.written.length, 'every line shipped', 20_000);
    await sleep(300);
    expect(inOrder(agent.messages(), b)).toEqual(b.written);
  });

  it('after a restart finds every unfinished generation: renamed, gzipped, copytruncated several deep', async () => {
    const { dir, logs } = setup();
    const renamed = new Log(logs, 'r');
    const copied = new Log(logs, 'c');
    const first = await run(dir, { hold: true });
    const rotated: string[] = [];
    for (let round = 0; round < 4; round++) {
      renamed.write(150);
      copied.write(150);
      await seen(first.store, `r-${round * 150}`);
      await seen(first.store, `c-${round * 150}`);
      rotated.push(renamed.rename());
      copied.copytruncate();
    }
    renamed.write(100);
    copied.write(100);
    await sleep(100);
    await first.store.save();
    await first.kill();
    // While the agent is down: two more rotations of each, and the renamed ones are compressed.
    for (let round = 0; round < 2; round++) {
      renamed.write(150);
      copied.write(150);
      rotated.push(renamed.rename());
      copied.copytruncate();
    }
    for (const path of rotated.slice(0, -1)) gzip(path);
    renamed.write(50);
    copied.write(50);
    const second = await run(dir);
    const total = renamed.written.length + copied.written.length;
    await until(() => new Set(second.messages()).size >= total, 'every line shipped after the restart', 20_000);
    expect(inOrder(second.messages(), renamed)).toEqual(renamed.written);
    expect(inOrder(second.messages(), copied)).toEqual(copied.written);
    expect(first.messages()).toEqual([]);
  });

  it('never checkpoints past an unfinished P/F message; a restart ships the whole message once', async () => {
    const { dir, logs } = setup();
    const log = new Log(logs, 'p');
    const first = await run(dir);
    log.write(3);
    await until(() => first.messages().length === 3, 'complete lines shipped');
    log.write(4, 'P');
    await sleep(200);
    await first.store.save();
    const saved = JSON.parse(readFileSync(join(dir, 'checkpoints.json'), 'utf8')) as { files: { offset: number }[] };
    const startOfP = readFileSync(log.path, 'utf8').split('\n').slice(0, 3).join('\n').length + 1;
    expect(saved.files[0]!.offset).toBe(startOfP);
    await first.kill();
    log.write(1);
    const second = await run(dir);
    await until(() => second.messages().length === 1, 'the joined message');
    await sleep(300);
    const docs = second.rig.sink.docs;
    expect(docs).toHaveLength(1);
    expect(String(docs[0]!.doc.message)).toMatch(/^p-3 x+p-4 x+p-5 x+p-6 x+p-7 x+$/);
    expect(docs[0]!.id).toMatch(new RegExp(`-${startOfP}$`));
  });

  describe.each(['rename', 'copytruncate'] as const)('a P/F message split by a %s rotation', (rotation) => {
    /** Rotates; returns the rotated file's name. */
    const rotate = (log: Log): string => {
      if (rotation === 'copytruncate') return log.copytruncate();
      const to = log.rename();
      // The runtime reopens the log at once (kubelet's ReopenContainerLog): the next generation exists, empty.
      writeFileSync(log.path, '');
      return to;
    };
    const joined = /^p-3x+p-4x+p-5x+$/;
    /** The checkpoint of the generation that starts with `message`. */
    const entryOf = (store: CheckpointStore, message: string) =>
      store.list().find((e) => Buffer.from(e.fingerprint, 'base64').toString().includes(` ${message} `));

    it('is shipped once, joined, under the id of its first piece', async () => {
      const { dir, logs } = setup();
      const log = new Log(logs, 'p');
      const agent = await run(dir);
      log.write(3);
      await until(() => agent.messages().length === 3, 'complete lines shipped');
      const startOfP = readFileSync(log.path).length;
      log.write(2, 'P');
      await seen(agent.store, 'p-0');
      rotate(log);
      log.write(1);
      log.write(2);
      await until(() => agent.messages().length >= 6, 'the joined message and the lines after it');
      await sleep(300);
      const docs = agent.rig.sink.docs.map((d) => ({ id: d.id, message: String(d.doc.message) }));
      expect(docs.map((d) => d.message.split(' ')[0])).toEqual(['p-0', 'p-1', 'p-2', 'p-3', 'p-6', 'p-7']);
      expect(docs[3]!.message.replace(/ /g, '')).toMatch(joined);
      expect(docs[3]!.id).toBe(`${entryOf(agent.store, 'p-0')?.idKey}-${startOfP}`);
      await until(() => entryOf(agent.store, 'p-0')?.finished === true, 'first generation finished');
    });

    it('survives kill -9 between its P and F pieces: checkpoint at its start, shipped once after', async () => {
      const { dir, logs } = setup();
      const log = new Log(logs, 'p');
      const first = await run(dir);
      log.write(3);
      await until(() => first.messages().length === 3, 'complete lines shipped');
      const startOfP = readFileSync(log.path).length;
      log.write(2, 'P');
      await seen(first.store, 'p-0');
      rotate(log);
      // The rotated generation is read to its end; its P pieces wait for the F piece that is not written yet.
      await sleep(500);
      await first.store.save();
      const saved = entryOf(first.store, 'p-0')!;
      expect(saved.offset).toBe(startOfP);
      expect(saved.finished).toBeFalsy();
      await first.kill();
      log.write(1);
      const second = await run(dir);
      await until(() => second.messages().length >= 1, 'the joined message');
      await sleep(500);
      const docs = second.rig.sink.docs;
      expect(docs).toHaveLength(1);
      expect(String(docs[0]!.doc.message).replace(/ /g, '')).toMatch(joined);
      expect(docs[0]!.id).toBe(`${saved.idKey}-${startOfP}`);
    });

    it('survives kill -9 after it was read, before its ack: a restart ships it again, same id', async () => {
      const { dir, logs } = setup();
      const log = new Log(logs, 'p');
      const first = await run(dir, { hold: true });
      log.write(3);
      await seen(first.store, 'p-0');
      const startOfP = readFileSync(log.path).length;
      log.write(2, 'P');
      rotate(log);
      log.write(1);
      await until(() => first.store.list().length === 2, 'both generations registered');
      await sleep(500);
      await first.store.save();
      await first.kill();
      const second = await run(dir);
      await until(() => second.messages().length >= 4, 'every message');
      await sleep(500);
      const docs = second.rig.sink.docs;
      expect(docs.map((d) => String(d.doc.message).split(' ')[0])).toEqual(['p-0', 'p-1', 'p-2', 'p-3']);
      expect(String(docs[3]!.doc.message).replace(/ /g, '')).toMatch(joined);
      expect(docs[3]!.id).toBe(`${entryOf(second.store, 'p-0')?.idKey}-${startOfP}`);
    });

    it('is not joined with the next message when the F piece went with a generation deleted while down', async () => {
      const { dir, logs } = setup();
      const log = new Log(logs, 'p');
      const first = await run(dir);
      log.write(3);
      await until(() => first.messages().length === 3, 'complete lines shipped');
      log.write(2, 'P');
      await seen(first.store, 'p-0');
      rotate(log);
      await sleep(500);
      await first.store.save();
      await first.kill();
      // While the agent is down: the F piece, a rotation, and its generation deleted; later messages.
      log.write(1);
      rmSync(rotate(log));
      log.shiftSeconds = 30;
      log.write(2);
      const second = await run(dir);
      await until(() => second.messages().length >= 3, 'the pieces and the later messages');
      await sleep(500);
      const docs = second.rig.sink.docs.map((d) => String(d.doc.message).replace(/ /g, ''));
      expect(docs).toHaveLength(3);
      expect(docs[0]).toMatch(/^p-3x+p-4x+$/);
      expect(docs.slice(1).map((m) => m.replace(/x+$/, ''))).toEqual(['p-6', 'p-7']);
      const counted = (await second.rig.metrics.parseErrors.get()).values.find(
        (v) => v.labels.reason === 'partial_unfinished',
      );
      expect(counted?.value).toBe(1);
    });
  });
});
