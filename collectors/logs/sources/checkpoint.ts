import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { stripRotationSuffix } from './siblings.ts';

/** The acknowledged position of one file generation (one inode with one first line). */
export interface FileCheckpoint {
  /** "<dev>:<ino>" of the file the generation was found in. */
  key: string;
  /** Source that owns it (e.g. containers, audit, components:kube-apiserver). */
  source: string;
  /** Last path the file had. */
  path: string;
  /** The live path the generation was written at (rotated names lead back to it). */
  origin: string;
  /** Base64 of the file's first line (up to fingerprintBytes): with the origin path, the identity. */
  fingerprint: string;
  /** Prefix of the document ids of this generation. */
  idKey: string;
  /** Every event before this byte offset is acknowledged by the sink. */
  offset: number;
  /** Every byte of the generation was read and acknowledged (after rotation or deletion). */
  finished?: boolean;
  /** copytruncate moved the content into a copy beside `origin`, found by its first line. */
  copied?: boolean;
  /** When the generation was first seen (ms since epoch); orders generations of one path. */
  createdAt: number;
  /** Last time the file was seen (ms since epoch). */
  seenAt: number;
}

const entrySchema = z.object({
  key: z.string(),
  source: z.string(),
  path: z.string(),
  origin: z.string().optional(),
  fingerprint: z.string(),
  idKey: z.string(),
  offset: z.number().int().min(0),
  finished: z.boolean().optional(),
  copied: z.boolean().optional(),
  createdAt: z.number().optional(),
  seenAt: z.number(),
});
const fileSchema = z.object({
  version: z.number().optional(),
  since: z.number().optional(),
  files: z.array(entrySchema),
});

/** What loading found. */
export interface CheckpointLoad {
  /** No checkpoint file existed (or it was unusable): the configured start positions apply. */
  fresh: boolean;
  /** Where an unusable file was moved, when it was. */
  movedTo?: string;
  /** Why the file was unusable. */
  problem?: string;
}

/**
 * Checkpoints of all file sources in one JSON file, replaced atomically (write to a temporary
 * file, fsync, rename, fsync the directory), so a crash leaves either the old or the new version.
 * Entries are keyed by generation (idKey): a copytruncated inode has one entry per content it had.
 * A truncated or garbage file is moved aside and the store starts empty (see {@link load}).
 */
export class CheckpointStore {
  private readonly file: string;
  private readonly entries = new Map<string, FileCheckpoint>();
  private dirty = false;
  private saving: Promise<void> | undefined;
  /** When the checkpoints were last persisted (ms since epoch). */
  savedAt = Date.now();
  /** When this store was first created (ms since epoch): rotated files older than it are history, not ours. */
  since = Date.now();

  constructor(file: string) {
    this.file = file;
  }

  /**
   * Reads the file; a missing file is an empty store. A file that does not parse or does not have
   * the expected shape is renamed to `<file>.corrupt-<ms>` and the store starts empty.
   */
  async load(): Promise<CheckpointLoad> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { fresh: true };
      throw error;
    }
    let parsed: z.infer<typeof fileSchema>;
    try {
      parsed = fileSchema.parse(JSON.parse(text));
    } catch (error) {
      const movedTo = `${this.file}.corrupt-${Date.now()}`;
      await rename(this.file, movedTo);
      const problem =
        error instanceof z.ZodError
          ? `unexpected content: ${error.issues[0]?.message ?? 'invalid'}`
          : (error as Error).message;
      return { fresh: true, movedTo, problem };
    }
    if (parsed.since !== undefined) this.since = parsed.since;
    for (const raw of parsed.files) {
      const entry: FileCheckpoint = {
        ...raw,
        origin: raw.origin ?? stripRotationSuffix(raw.path),
        createdAt: raw.createdAt ?? raw.seenAt,
      };
      this.entries.set(entry.idKey, entry);
    }
    return { fresh: false };
  }

  /** The entry of a generation. */
  get(idKey: string): FileCheckpoint | undefined {
    return this.entries.get(idKey);
  }

  /** Entries of one inode ("dev:ino"), oldest first. */
  byInode(key: string, source?: string): FileCheckpoint[] {
    return this.list(source).filter((e) => e.key === key);
  }

  /** Every entry (of one source when given), oldest first. */
  list(source?: string): FileCheckpoint[] {
    return [...this.entries.values()]
      .filter((e) => source === undefined || e.source === source)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  set(entry: FileCheckpoint): void {
    this.entries.set(entry.idKey, entry);
    this.dirty = true;
  }

  /** Marks an entry changed in place. */
  touch(): void {
    this.dirty = true;
  }

  delete(idKey: string): void {
    if (this.entries.delete(idKey)) this.dirty = true;
  }

  /** Persists if anything changed; concurrent calls share one write. */
  async save(): Promise<void> {
    if (this.saving) await this.saving;
    if (!this.dirty) {
      this.savedAt = Date.now();
      return;
    }
    this.dirty = false;
    this.saving = this.write().finally(() => {
      this.saving = undefined;
    });
    try {
      await this.saving;
    } catch (error) {
      this.dirty = true;
      throw error;
    }
  }

  private async write(): Promise<void> {
    const dir = dirname(this.file);
    await mkdir(dir, { recursive: true });
    const tmp = `${this.file}.tmp`;
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(JSON.stringify({ version: 2, since: this.since, files: [...this.entries.values()] }));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.file);
    const dirHandle = await open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
    this.savedAt = Date.now();
  }
}
