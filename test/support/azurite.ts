import { startNodeServer, packageBin } from './node-server.js';
import type { SupervisedProcess } from './supervised-process.js';

/** Azurite's well-known development account (public, documented by Microsoft). */
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteHandle {
  readonly port: number;
  /** A connection string for the blob endpoint, as a device config would carry it. */
  readonly connectionString: string;
  readonly server: SupervisedProcess;
  dispose(): Promise<void>;
}

/** Microsoft's Azure Storage emulator (blob service only), in memory, on a free port. */
export async function startAzurite(): Promise<AzuriteHandle> {
  const script = packageBin('azurite', 'azurite-blob');
  const { server, port } = await startNodeServer('azurite', script, (p) => [
    '--blobHost', '127.0.0.1', '--blobPort', String(p), '--inMemoryPersistence', '--skipApiVersionCheck', '--disableTelemetry',
  ]);
  const connectionString = `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};BlobEndpoint=http://127.0.0.1:${port}/${ACCOUNT};`;
  return { port, connectionString, server, dispose: () => server.dispose() };
}
