// Benchmark: watchkeeper's streamed etcd backup to S3 (MinIO) against its peer, `etcdctl snapshot
// save` to local disk followed by an upload of that file with the same S3 client, in one run on
// one etcd with >= 500 MiB of data. Each side runs as its own process; peak RSS is that process's
// VmHWM. Prints the ratios and rewrites the "Backup" section of docs/benchmarks.md.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Etcd3 } from 'etcd3';
import { startEtcd, startS3 } from '../../test/env/index.ts';
import { measure, type Measured } from '../measure.ts';
import { machineLine, writeBenchmarkSection } from '../report.ts';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const node = process.execPath;
const targetMiB = Number(process.env.BENCH_BACKUP_MIB ?? 520);
// The host is shared (2 cores): each method runs this many times, interleaved; times are medians.
const repeats = Number(process.env.BENCH_BACKUP_REPEATS ?? 3);

async function fill(endpoint: string, mib: number): Promise<void> {
  const client = new Etcd3({ hosts: endpoint });
  // 1 MiB values of hex text: compressible about 2:1, like JSON-heavy Kubernetes objects.
  const value = (): string => randomBytes(512 * 1024).toString('hex');
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < mib) {
      const i = next++;
      await client.put(`/registry/bench/blob-${String(i).padStart(5, '0')}`).value(value());
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  client.close();
}

function ratio(a: number, b: number): string {
  return (a / b).toFixed(2);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Several runs of one method: median seconds, highest and lowest peak RSS. */
interface Summary {
  seconds: number;
  peakRssMiB: number;
  lowestPeakRssMiB: number;
  secondsRange: string;
  last: Measured;
}

function summarize(runs: readonly Measured[]): Summary {
  const seconds = runs.map((r) => r.seconds);
  const peaks = runs.map((r) => r.peakRssMiB);
  return {
    seconds: median(seconds),
    peakRssMiB: Math.max(...peaks),
    lowestPeakRssMiB: Math.min(...peaks),
    secondsRange: `${Math.min(...seconds).toFixed(1)}-${Math.max(...seconds).toFixed(1)} s`,
    last: runs.at(-1)!,
  };
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'wk-bench-backup-'));
  const etcd = await startEtcd({ extraArgs: ['--quota-backend-bytes=8589934592', '--max-request-bytes=2097152'] });
  const s3 = await startS3();
  try {
    process.stdout.write(`filling etcd with ${targetMiB} MiB ...\n`);
    await fill(etcd.endpoints[0]!, targetMiB);
    const s3Settings = {
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      serverSideEncryption: 'none',
      partSizeMiB: 5,
      queueSize: 2,
    };
    await writeFile(path.join(work, 's3.json'), JSON.stringify(s3Settings));
    const keyHex = randomBytes(32).toString('hex');
    const configFor = async (name: string, encrypted: boolean): Promise<string> => {
      const file = path.join(work, `${name}.json`);
      await writeFile(
        file,
        JSON.stringify({
          cluster: { name: 'bench' },
          log: { level: 'warn' },
          backup: {
            storage: { type: 's3', prefix: name, s3: s3Settings },
            encryption: { enabled: encrypted, keyEnv: 'BENCH_KEY' },
            etcd: { endpoints: etcd.endpoints, compression: 'zstd' },
            tools: { binDir: etcd.binDir },
          },
        }),
      );
      return file;
    };
    const env = { ...process.env, BENCH_KEY: keyHex };
    const plainConfig = await configFor('wk-zstd', false);
    const encConfig = await configFor('wk-zstd-enc', true);

    const snapshotFile = path.join(work, 'peer.db');
    const cli = path.join(repo, 'cli/main.ts');
    const runs = {
      save: [] as Measured[],
      upload: [] as Measured[],
      peer: [] as Measured[],
      slim: [] as Measured[],
      wk: [] as Measured[],
      wkEnc: [] as Measured[],
      wkArena: [] as Measured[],
    };
    let dbBytes = 0;
    for (let i = 0; i < repeats; i++) {
      // Peer: etcdctl snapshot save, then upload of the file.
      const save = await measure(path.join(etcd.binDir, 'etcdctl'), [
        '--endpoints',
        etcd.endpoints[0]!,
        'snapshot',
        'save',
        snapshotFile,
      ]);
      dbBytes = (await stat(snapshotFile)).size;
      const upload = await measure(node, [
        path.join(repo, 'bench/backup/upload-file.ts'),
        path.join(work, 's3.json'),
        snapshotFile,
        'peer/etcd.db',
      ]);
      await rm(snapshotFile, { force: true });
      runs.save.push(save);
      runs.upload.push(upload);
      runs.peer.push({
        seconds: save.seconds + upload.seconds,
        peakRssMiB: Math.max(save.peakRssMiB, upload.peakRssMiB),
        stdout: '',
        cpuSeconds: save.cpuSeconds + upload.cpuSeconds,
      });
      // watchkeeper: one process, etcd -> sha256 -> zstd (-> encryption) -> multipart upload.
      runs.slim.push(await measure(node, [path.join(repo, 'bench/backup/streamed-backup.ts'), plainConfig], env));
      runs.wk.push(await measure(node, [cli, 'backup', 'etcd', '-c', plainConfig, '-o', 'json'], env));
      runs.wkEnc.push(await measure(node, [cli, 'backup', 'etcd', '-c', encConfig, '-o', 'json'], env));
      // glibc gives each thread (zstd and crypto work on libuv's pool) its own malloc arena, which keeps freed memory.
      runs.wkArena.push(
        await measure(node, [cli, 'backup', 'etcd', '-c', plainConfig, '-o', 'json'], {
          ...env,
          MALLOC_ARENA_MAX: '2',
        }),
      );
    }
    const [save, upload, peer, slim, wk, wkEnc, wkArena] = [
      runs.save,
      runs.upload,
      runs.peer,
      runs.slim,
      runs.wk,
      runs.wkEnc,
      runs.wkArena,
    ].map(summarize) as [Summary, Summary, Summary, Summary, Summary, Summary, Summary];
    const peerSeconds = peer.seconds;
    const wkManifest = JSON.parse(wk.last.stdout) as { objects: { size: number }[] };

    // Restore of the encrypted backup: download, verify, decrypt, decompress, etcdutl restore.
    const restore = await measure(
      node,
      [
        cli,
        'restore',
        'etcd',
        'latest',
        '-c',
        encConfig,
        '--data-dir',
        path.join(work, 'restored'),
        '--name',
        'default',
        '-o',
        'json',
      ],
      env,
    );

    const mib = (b: number): string => (b / 1024 / 1024).toFixed(0);
    const spread = (m: Summary): string =>
      `runs ${m.secondsRange}, peaks ${m.lowestPeakRssMiB.toFixed(0)}-${m.peakRssMiB.toFixed(0)} MiB`;
    const rows = [
      [
        'etcdctl snapshot save + upload (peer)',
        peerSeconds,
        peer.peakRssMiB,
        `save ${save.seconds.toFixed(1)} s (${save.peakRssMiB.toFixed(0)} MiB), upload ${upload.seconds.toFixed(1)} s (${upload.peakRssMiB.toFixed(0)} MiB); ${mib(dbBytes)} MiB uploaded, ${mib(dbBytes)} MiB on local disk; ${spread(peer)}`,
      ],
      [
        'watchkeeper pipeline alone (bench/backup/streamed-backup.ts), zstd',
        slim.seconds,
        slim.peakRssMiB,
        `runEtcdBackup in a process that loads nothing else; ${spread(slim)}`,
      ],
      [
        'watchkeeper backup etcd (CLI), zstd',
        wk.seconds,
        wk.peakRssMiB,
        `${mib(wkManifest.objects[0]!.size)} MiB uploaded, nothing on local disk; ${spread(wk)}`,
      ],
      [
        'watchkeeper backup etcd (CLI), zstd + AES-256-GCM',
        wkEnc.seconds,
        wkEnc.peakRssMiB,
        `same, encrypted; ${spread(wkEnc)}`,
      ],
      [
        'watchkeeper backup etcd (CLI), zstd, MALLOC_ARENA_MAX=2',
        wkArena.seconds,
        wkArena.peakRssMiB,
        `glibc malloc limited to 2 arenas (an environment setting, e.g. in the image); ${spread(wkArena)}`,
      ],
    ] as const;
    const lines = [
      `Run by \`npm run bench -- backup\` (bench/backup/main.ts) on ${machineLine()}.`,
      `etcd 3.6.16 with a ${mib(dbBytes)} MiB database (${targetMiB} values of 1 MiB hex text), MinIO on the same host, S3 part size 5 MiB, queue 2 (the defaults; both sides upload with watchkeeper's S3Storage).`,
      `Each side is a separate process; peak RSS is its VmHWM. Each method ran ${repeats} times, interleaved: seconds are medians, peak RSS the highest of the runs.`,
      '',
      '| method | seconds | peak RSS (MiB) | notes |',
      '|---|---:|---:|---|',
      ...rows.map(
        ([name, seconds, rss, notes]) => `| ${name} | ${seconds.toFixed(1)} | ${rss.toFixed(0)} | ${notes} |`,
      ),
      '',
      `Ratio peer time / watchkeeper time (above 1: watchkeeper is faster): ${ratio(peerSeconds, slim.seconds)} (pipeline alone), ${ratio(peerSeconds, wk.seconds)} (CLI, zstd), ${ratio(peerSeconds, wkEnc.seconds)} (CLI, zstd + encryption).`,
      `Restore of the encrypted backup (download, verify, decrypt, decompress, etcdutl snapshot restore): ${restore.seconds.toFixed(1)} s, peak RSS ${restore.peakRssMiB.toFixed(0)} MiB.`,
      '',
    ];
    const section = lines.join('\n');
    process.stdout.write(`${section}\n`);
    await writeBenchmarkSection('## Backup: streamed etcd snapshot to S3', section);
  } finally {
    await Promise.allSettled([etcd.stop(), s3.stop()]);
    await rm(work, { recursive: true, force: true });
  }
}

await main();
