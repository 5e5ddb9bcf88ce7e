import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The acknowledged position of one file identity. */
export interface FileCheckpoint {
  /** "<dev>:<ino>" */
  key: string;
  /** Source that owns it (e.g. containers, audit, components:kube-apiserver). */
  source: string;
  /** Last path the file had. */
  path: string;
  /** Base64 of the file's first line (up to fingerprintBytes): with dev and inode, the identity. */
  fingerprint: string;
  /** Prefix of the document ids of this identity. */
  idKey: string;
  /** Every event before this byte offset is acknowledged by the sink. */
  offset: number;
  /** The file was read to its end after rotation or deletion. */
  finished?: boolean;
  /** Last time the file was seen (ms since epoch). */
  seenAt: number;
}

/**
 * Checkpoints of all file sources in one JSON file, replaced atomically (write to a temporary
 * file, fsync, rename, fsync the directory), so a crash leaves either the old or the new version.
 */
export class CheckpointStore {
  private readonly file: string;
  private readonly entries = new Map<string, FileCheckpoint>();
  private dirty = false;
  private saving: Promise<void> | undefined;
  /** When the checkpoints were last persisted (ms since epoch). */
  savedAt = Date.now();

  constructor(file: string) {
    this.file = file;
  }

  /** Reads the file; a missing file is an empty store. */
  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const parsed = JSON.parse(text) as { files?: FileCheckpoint[] };
    for (const entry of parsed.files ?? []) this.entries.set(entry.key, entry);
  }

  get(key: string): FileCheckpoint | undefined {
    return this.entries.get(key);
  }

  /** Every entry (of one source when given). */
  list(source?: string): FileCheckpoint[] {
    return [...this.entries.values()].filter((e) => source === undefined || e.source === source);
  }

  set(entry: FileCheckpoint): void {
    this.entries.set(entry.key, entry);
    this.dirty = true;
  }

  /** Marks an entry changed in place. */
  touch(): void {
    this.dirty = true;
  }

  delete(key: string): void {
    if (this.entries.delete(key)) this.dirty = true;
  }

  /** Persists if anything changed; concurrent calls share one write. */
  async save(): Promise<void> {
    if (this.saving) await this.saving;
    if (!this.dirty) { this.savedAt = Date.now(); return; }
    this.dirty = false;
    this.saving = this.write().finally(() => { this.saving = undefined; });
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
      await handle.writeFile(JSON.stringify({ version: 1, files: [...this.entries.values()] }));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.file);
    const dirHandle = await open(dir, 'r');
    try { await dirHandle.sync(); } finally { await dirHandle.close(); }
    this.savedAt = Date.now();
  }
}
