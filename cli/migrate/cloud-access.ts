import { readFile } from 'node:fs/promises';
import { CliError, EXIT } from '../exit-codes.js';
import { installCommand, missingPackageName } from '../optional-packages.js';
import type { AwsSettings } from './aws-clients.js';
import type { AzureSettings } from './azure-clients.js';
import type { CloudCalls } from './cloud-calls.js';
import { CLOUD_NAMES, type Cloud, type SourceFleet } from './fleet.js';
import type { MigrationState } from './state-file.js';
import type { TargetProvisioner } from './target.js';

/** The options `plan` and `apply` take to reach the clouds (commander's names). */
export interface CloudCliOptions {
  readonly azureConnectionString?: string;
  readonly azureCa?: string;
  readonly azureDeviceHost?: string;
  readonly azureAuth: 'sas' | 'x509';
  readonly azureCertDays: number;
  readonly awsRegion?: string;
  readonly awsControlEndpoint?: string;
  readonly awsDataEndpoint?: string;
  readonly awsDeviceEndpoint?: string;
  readonly awsCa?: string;
  readonly shadowName?: string;
  readonly policyName: string;
  readonly topicPrefix: string;
}

/** One cloud opened for a migration, as source or target. */
export interface CloudAccess {
  readonly cloud: Cloud;
  /** Host, region, endpoint: for messages and the state file, never a secret. */
  readonly where: string;
  readFleet(calls: CloudCalls, include: (id: string) => boolean, concurrency: number): Promise<SourceFleet>;
  target(calls: CloudCalls, state: MigrationState): TargetProvisioner;
  close(): void;
}

/** The optional packages each side needs, under the names optional-packages.ts lists them. */
const PACKAGE_GROUPS: Readonly<Record<Cloud, string>> = { azure: 'migrate-azure', aws: 'migrate-aws' };

/**
 * Opens a cloud with the SDK modules it needs, loaded only now (a missing optional package is a
 * usage error naming the npm command). Credentials are read here and never printed: the IoT Hub
 * service connection string from --azure-connection-string or AMORA_SERVICE_CONNECTION_STRING,
 * AWS credentials from the SDK's default chain (AWS_ACCESS_KEY_ID…, AWS_PROFILE, a role).
 */
export async function openCloud(cloud: Cloud, options: CloudCliOptions): Promise<CloudAccess> {
  try {
    return cloud === 'azure' ? await openAzure(await azureSettings(options)) : await openAws(await awsSettings(options));
  } catch (error) {
    const missing = missingPackageName(error);
    if (missing === undefined) throw error;
    throw new CliError(`${CLOUD_NAMES[cloud]} needs the package "${missing}", which is not installed: run \`${installCommand(PACKAGE_GROUPS[cloud])}\``, EXIT.usage);
  }
}

async function openAzure(settings: AzureSettings): Promise<CloudAccess> {
  const [{ openAzureClients }, { readAzureFleet }, { AzureTarget }] = await Promise.all([
    import('./azure-clients.js'),
    import('./azure-source.js'),
    import('./azure-target.js'),
  ]);
  const clients = openAzureClients(settings);
  return {
    cloud: 'azure',
    where: clients.hostName,
    readFleet: (calls, include) => readAzureFleet(clients, calls, include),
    target: (calls, state) => new AzureTarget(clients, settings, calls, state),
    close: () => clients.close(),
  };
}

async function openAws(settings: AwsSettings): Promise<CloudAccess> {
  const [{ openAwsClients }, { readAwsFleet }, { AwsTarget }] = await Promise.all([
    import('./aws-clients.js'),
    import('./aws-source.js'),
    import('./aws-target.js'),
  ]);
  const clients = await openAwsClients(settings);
  return {
    cloud: 'aws',
    where: clients.where,
    readFleet: (calls, include, concurrency) => readAwsFleet(clients, calls, { include, concurrency, ...(settings.shadowName ? { shadowName: settings.shadowName } : {}) }),
    target: (calls, state) => new AwsTarget(clients, settings, calls, state),
    close: () => clients.close(),
  };
}

async function azureSettings(options: CloudCliOptions): Promise<AzureSettings> {
  const connectionString = options.azureConnectionString;
  if (!connectionString) {
    throw new CliError('IoT Hub needs a service connection string: --azure-connection-string or AMORA_SERVICE_CONNECTION_STRING (a policy with registry write and service connect)');
  }
  return {
    connectionString,
    auth: options.azureAuth,
    certDays: options.azureCertDays,
    ...(options.azureCa ? { caPem: await readCa(options.azureCa, '--azure-ca') } : {}),
    ...(options.azureDeviceHost ? { deviceHost: options.azureDeviceHost } : {}),
  };
}

async function awsSettings(options: CloudCliOptions): Promise<AwsSettings> {
  return {
    region: options.awsRegion ?? 'us-east-1',
    policyName: options.policyName,
    topicPrefix: options.topicPrefix,
    ...(options.awsControlEndpoint ? { controlEndpoint: options.awsControlEndpoint } : {}),
    ...(options.awsDataEndpoint ? { dataEndpoint: options.awsDataEndpoint } : {}),
    ...(options.awsDeviceEndpoint ? { deviceEndpoint: options.awsDeviceEndpoint } : {}),
    ...(options.shadowName ? { shadowName: options.shadowName } : {}),
    ...(options.awsCa ? { caPem: await readCa(options.awsCa, '--aws-ca'), caPath: options.awsCa } : {}),
  };
}

async function readCa(path: string, option: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`${option} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
