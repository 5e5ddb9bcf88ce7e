// The peer's second half: uploads one local file with the same S3 client and settings watchkeeper
// uses (S3Storage: the same multipart writer, part size and queue). Run as its own process so
// its peak memory is measured apart. Usage: node upload-file.ts <settings.json> <file> <key>
import { createReadStream, readFileSync } from 'node:fs';
import { S3Storage, type S3StorageOptions } from '../../backup/storage/s3.ts';

const [settingsFile, file, key] = process.argv.slice(2);
const settings = JSON.parse(readFileSync(settingsFile!, 'utf8')) as S3StorageOptions;
const storage = new S3Storage(settings);
const result = await storage.put(key!, createReadStream(file!, { highWaterMark: 1024 * 1024 }));
storage.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
