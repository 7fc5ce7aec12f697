import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Marks our temp files; they start with a dot, which MPD (and ls) skip. */
const PART_SUFFIX = '.amora-part';

export interface DownloadCheck {
  readonly size: number;
  readonly md5?: string;
  readonly sha256?: string;
}

/**
 * Writes `body` to `target` so that MPD never sees half a file: the bytes go to a hidden temp
 * file in the same folder (same filesystem, so the rename is atomic), are checked against the
 * expected size and digests, flushed, and only then renamed over the target. Any failure (or an
 * abort) removes the temp file; a kill -9 can leave one, hidden, which the next sync removes.
 */
export async function downloadAtomically(
  body: Readable,
  target: string,
  check: DownloadCheck,
  onBytes: (count: number) => void,
  signal: AbortSignal,
): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}${PART_SUFFIX}`);
  // Only the digests the source gave are computed: each costs a pass over every byte.
  const md5 = check.md5 === undefined ? undefined : createHash('md5');
  const sha256 = check.sha256 === undefined ? undefined : createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      md5?.update(chunk);
      sha256?.update(chunk);
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
  try {
    await pipeline(body, meter, createWriteStream(temp, { flush: true }), { signal });
    verify(target, check, size, md5?.digest('hex'), sha256?.digest('hex'));
    await rename(temp, target);
  } catch (error) {
    body.destroy();
    await rm(temp, { force: true });
    throw error;
  }
}

function verify(target: string, check: DownloadCheck, size: number, md5: string | undefined, sha256: string | undefined): void {
  const problem =
    size !== check.size
      ? `${size} bytes arrived, the source said ${check.size}`
      : check.md5 !== undefined && check.md5 !== md5
        ? `MD5 ${md5} differs from the source's ${check.md5}`
        : check.sha256 !== undefined && check.sha256 !== sha256
          ? `SHA-256 ${sha256} differs from the source's ${check.sha256}`
          : undefined;
  if (problem) throw new Error(`${basename(target)}: download corrupt (${problem}); the old file is kept`);
}

/** Removes temp files a killed sync left in `folder` and its subfolders. */
export async function removeLeftoverParts(folder: string): Promise<void> {
  let entries;
  try {
    entries = await readdir(folder, { recursive: true, withFileTypes: true });
  } catch {
    return; // No folder yet: nothing left over.
  }
  for (const entry of entries) {
    if (entry.isFile() && entry.name.startsWith('.') && entry.name.endsWith(PART_SUFFIX)) {
      await rm(join(entry.parentPath, entry.name), { force: true });
    }
  }
}
