import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNodeServer, packageBin } from './node-server.js';
import type { SupervisedProcess } from './supervised-process.js';

export interface S3ServerHandle {
  readonly endpoint: string;
  /** s3rver's fixed development credentials. */
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly server: SupervisedProcess;
  dispose(): Promise<void>;
}

/** An S3-compatible server (s3rver) on a free port, files in a temp folder, `buckets` created. */
export async function startS3Server(buckets: readonly string[]): Promise<S3ServerHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'amora-s3-'));
  const script = packageBin('s3rver', 's3rver');
  const { server, port } = await startNodeServer('s3rver', script, (p) => [
    '--address', '127.0.0.1', '--port', String(p), '--directory', dir, '--silent', ...buckets.flatMap((bucket) => ['--configure-bucket', bucket]),
  ]);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    server,
    async dispose() {
      await server.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
