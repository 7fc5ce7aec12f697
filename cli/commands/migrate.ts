import { Command, InvalidArgumentError, Option } from 'commander';
import { integerIn, milliseconds } from '../option-values.js';
import type { CloudCliOptions } from '../migrate/cloud-access.js';

interface CommonOptions extends CloudCliOptions {
  readonly from: 'azure' | 'aws';
  readonly to?: 'azure' | 'aws';
  readonly devices?: string;
  readonly json?: boolean;
  readonly rate?: number;
  readonly concurrency: number;
}

interface ApplyOptions extends CommonOptions {
  readonly out: string;
  readonly state?: string;
  readonly deviceDir?: string;
  readonly dryRun?: boolean;
}

interface StatusOptions {
  readonly config?: string;
  readonly from: 'azure' | 'aws';
  readonly to?: 'azure' | 'aws';
  readonly devices?: string;
  readonly state?: string;
  readonly settle: number;
  readonly wait?: number;
  readonly watch?: boolean;
  readonly json?: boolean;
  readonly connectTimeout: number;
}

const cloud = (value: string): 'azure' | 'aws' => {
  if (value === 'azure' || value === 'aws') return value;
  throw new InvalidArgumentError('expected azure or aws');
};

const positiveNumber = (value: string): number => {
  const parsed = Number(value);
  if (!(parsed > 0) || !Number.isFinite(parsed)) throw new InvalidArgumentError('expected a positive number');
  return parsed;
};

/** `amora migrate plan|apply|status`: move a fleet between Azure IoT Hub and AWS IoT Core. */
export function migrateCommand(): Command {
  return new Command('migrate')
    .description('move a fleet between Azure IoT Hub and AWS IoT Core: plan, provision, follow the cutover')
    .addCommand(cloudOptions(new Command('plan').description('read the source registry and print what will be created and mapped')).action(runPlan))
    .addCommand(
      cloudOptions(new Command('apply').description('provision the target (idempotent, resumable) and write each device\'s transport entry and credentials'))
        .addOption(new Option('--out <dir>', 'output folder: one folder per device').default('migration-out'))
        .option('--state <file>', 'state file of what is done (default: OUT/state.json); a rerun continues from it')
        .option('--device-dir <path>', 'where the files will be on the devices, for the paths in transport.yaml ({device} is the device id; default: the output folder)')
        .option('--dry-run', 'print what would be done, create nothing')
        .action(runApply),
    )
    .addCommand(statusCommand())
    .addHelpText('after', `
Examples:
  amora migrate plan --from azure --to aws
  amora migrate apply --from azure --to aws --out ./migration --devices 'player-0*'
  amora migrate status --from azure --to aws --config dual-home.yaml --watch

See docs/migration.md for the runbook.`);
}

function cloudOptions(command: Command): Command {
  return command
    .addOption(new Option('--from <cloud>', 'source: azure or aws').argParser(cloud).makeOptionMandatory())
    .addOption(new Option('--to <cloud>', 'target: azure or aws (default: the other one)').argParser(cloud))
    .option('--devices <list>', 'only these devices: ids and globs, comma-separated (player-0*,lobby-3)')
    .option('--json', 'print JSON instead of text')
    .addOption(new Option('--concurrency <n>', 'devices worked on at once').default(8).argParser(integerIn(1, 256, 'a device count')))
    .addOption(new Option('--rate <n>', 'cloud calls per second at most (default: AWS 10, IoT Hub 1.6 = 100/min, an S1/S2 unit)').argParser(positiveNumber))
    .addOption(new Option('--azure-connection-string <cs>', 'IoT Hub service policy connection string (registry read/write)').env('AMORA_SERVICE_CONNECTION_STRING'))
    .addOption(new Option('--azure-ca <file>', 'CA to trust for IoT Hub (a private hub, the emulator)').env('AMORA_AZURE_CA'))
    .addOption(new Option('--azure-device-host <host[:port]>', "HostName in the devices' connection strings (default: the service connection string's)").env('AMORA_AZURE_DEVICE_HOST'))
    .addOption(new Option('--azure-auth <kind>', 'IoT Hub: new identities use SAS keys or a self-signed certificate').choices(['sas', 'x509']).default('sas'))
    .addOption(new Option('--azure-cert-days <n>', 'IoT Hub with --azure-auth x509: days the device certificates are valid').default(365).argParser(integerIn(1, 3650, 'a number of days')))
    .addOption(new Option('--aws-region <region>', 'AWS region (credentials: the AWS SDK default chain)').env('AWS_REGION'))
    .addOption(new Option('--aws-control-endpoint <url>', 'AWS IoT control-plane URL (default: the region\'s)').env('AMORA_AWS_CONTROL_ENDPOINT'))
    .addOption(new Option('--aws-data-endpoint <url>', 'AWS IoT data-plane URL (default: https:// + the account\'s iot:Data-ATS endpoint)').env('AMORA_AWS_DATA_ENDPOINT'))
    .addOption(new Option('--aws-device-endpoint <host[:port]>', 'endpoint the devices connect to (default: the account\'s iot:Data-ATS endpoint)').env('AMORA_AWS_DEVICE_ENDPOINT'))
    .addOption(new Option('--aws-ca <file>', 'CA to trust for AWS and to give the devices (the emulator\'s; Amazon Root CA 1 is trusted already)').env('AMORA_AWS_CA'))
    .option('--shadow-name <name>', 'AWS: the named shadow desired state is read from / written to (default: the classic shadow)')
    .addOption(new Option('--policy-name <name>', 'AWS: the IoT policy created and attached to each certificate').default('amora-device'))
    .addOption(new Option('--topic-prefix <prefix>', 'AWS: the devices\' topic prefix (for the policy and the command mapping)').default('amora'));
}

function statusCommand(): Command {
  return new Command('status')
    .description('per device: online on which side, reported state in sync, last state and command per side, moved or not')
    .addOption(new Option('-c, --config <file>', 'a dual-home agent config: its azure-iot-hub and aws-iot entries, controller side').env('AMORA_CONFIG'))
    .addOption(new Option('--from <cloud>', 'source: azure or aws').argParser(cloud).makeOptionMandatory())
    .addOption(new Option('--to <cloud>', 'target (default: the other one)').argParser(cloud))
    .option('--devices <list>', 'only these devices: ids and globs, comma-separated')
    .option('--state <file>', "apply's state file: follow the devices it provisioned (and no others)")
    .addOption(new Option('--settle <ms>', 'a device has moved when the target sees it online and in sync this long').default(300_000).argParser(milliseconds))
    .addOption(new Option('--wait <ms>', 'without --watch: answer once every device moved, or after this long (default: settle + 30 s)').argParser(milliseconds))
    .option('--watch', 'keep printing the table as it changes, until Ctrl-C')
    .option('--json', 'print JSON (with --watch: one line per change)')
    .addOption(new Option('--connect-timeout <ms>', 'ms to wait for each side\'s connection').default(10_000).argParser(milliseconds))
    .addHelpText('after', '\nExit status: 0 every device moved, 1 some did not (yet), 2 usage, 3 a side unreachable.')
    .action(async (options: StatusOptions) => {
      const { runStatus } = await import('../migrate/status-command.js');
      await runStatus({ ...options, to: options.to ?? other(options.from) });
    });
}

async function runPlan(options: CommonOptions): Promise<void> {
  const { runPlanCommand } = await import('../migrate/plan-command.js');
  await runPlanCommand({ ...options, to: options.to ?? other(options.from) });
}

async function runApply(options: ApplyOptions): Promise<void> {
  const { runApplyCommand } = await import('../migrate/plan-command.js');
  await runApplyCommand({ ...options, to: options.to ?? other(options.from) });
}

function other(from: 'azure' | 'aws'): 'azure' | 'aws' {
  return from === 'azure' ? 'aws' : 'azure';
}

export type { ApplyOptions as MigrateApplyCliOptions, CommonOptions as MigrateCliOptions, StatusOptions as MigrateStatusCliOptions };
