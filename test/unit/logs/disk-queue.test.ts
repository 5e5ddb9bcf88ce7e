import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiskQueue } from '../../../collectors/logs/sources/disk-queue.ts';
import { CheckpointStore } from '../../../collectors/logs/sources/checkpoint.ts';

describe('DiskQueue', () => {
  it('replays what was not acknowledged after a restart, and refuses appends beyond its bound', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wk-q-'));
    const queue = new DiskQueue(dir, 1024 * 1024);
    await queue.open();
    expect(await queue.append(['one', 'two'])).toBe(true);
    expect(await queue.append(['three'])).toBe(true);
    const signal = new AbortController().signal;
    const taken = await queue.take(1 << 20, signal);
    expect(taken.map((t) => t.line)).toEqual(['one', 'two', 'three']);
    // Only the first two are acknowledged.
    const t = taken[1]!;
    t.target.settle(t.target.hold(t.end));
    await queue.close();

    const again = new DiskQueue(dir, 64);
    await again.open();
    expect((await again.take(1 << 20, signal)).map((x) => x.line)).toEqual(['three']);
    expect(await again.append(['x'.repeat(100)])).toBe(false);
    await again.close();
  });
});

describe('CheckpointStore', () => {
  it('persists atomically and reads back', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wk-cp-')), 'sub', 'checkpoints.json');
    const store = new CheckpointStore(file);
    await store.load();
    store.set({
      key: '1:2',
      source: 'containers',
      path: '/x',
      origin: '/x',
      fingerprint: 'AA==',
      idKey: 'k',
      offset: 42,
      createdAt: 1,
      seenAt: 1,
    });
    await store.save();
    const back = new CheckpointStore(file);
    await back.load();
    expect(back.get('k')?.offset).toBe(42);
    expect(back.byInode('1:2').map((e) => e.offset)).toEqual([42]);
    expect(back.list('containers')).toHaveLength(1);
    expect(back.list('audit')).toHaveLength(0);
  });
});

describe('DiskQueue after a crash', () => {
  const signal = new AbortController().signal;

  it('cuts a torn last line instead of wedging the reader, and reads on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wk-q-'));
    const queue = new DiskQueue(dir, 1024 * 1024);
    await queue.open();
    expect(await queue.append(['one', 'two'])).toBe(true);
    await queue.close();
    // A crash mid-write: half a line at the end of the segment, never answered 200.
    appendFileSync(join(dir, 'seg-00000001.ndjson'), '{"half":');
    const again = new DiskQueue(dir, 1024 * 1024);
    const opened = await again.open();
    expect(opened.tornBytes).toBe(8);
    expect(await again.append(['three'])).toBe(true);
    const lines: string[] = [];
    while (lines.length < 3) lines.push(...(await again.take(1 << 20, signal)).map((t) => t.line));
    expect(lines).toEqual(['one', 'two', 'three']);
    await again.close();
  });

  it.each([
    ['garbage', 'not json at all'],
    ['truncated', '{"segment":1,"off'],
    ['wrong shape', '{"segment":-1,"offset":"x"}'],
  ])('moves a %s state file aside and reads the queue from its oldest segment', async (_name, content) => {
    const dir = mkdtempSync(join(tmpdir(), 'wk-q-'));
    const queue = new DiskQueue(dir, 1024 * 1024);
    await queue.open();
    await queue.append(['a', 'b']);
    await queue.close();
    writeFileSync(join(dir, 'state.json'), content);
    const again = new DiskQueue(dir, 1024 * 1024);
    const opened = await again.open();
    expect(opened.movedStateTo).toMatch(/state\.json\.corrupt-\d+$/);
    expect(readFileSync(opened.movedStateTo!, 'utf8')).toBe(content);
    expect((await again.take(1 << 20, signal)).map((t) => t.line)).toEqual(['a', 'b']);
    await again.close();
  });
});
