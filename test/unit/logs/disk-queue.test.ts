import { mkdtempSync } from 'node:fs';
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
    store.set({ key: '1:2', source: 'containers', path: '/x', origin: '/x', fingerprint: 'AA==', idKey: 'k', offset: 42, createdAt: 1, seenAt: 1 });
    await store.save();
    const back = new CheckpointStore(file);
    await back.load();
    expect(back.get('k')?.offset).toBe(42);
    expect(back.byInode('1:2').map((e) => e.offset)).toEqual([42]);
    expect(back.list('containers')).toHaveLength(1);
    expect(back.list('audit')).toHaveLength(0);
  });
});
