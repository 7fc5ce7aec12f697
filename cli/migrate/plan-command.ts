import { join } from 'node:path';
import type { MigrateApplyCliOptions, MigrateCliOptions } from '../commands/migrate.js';
import { CliError, EXIT } from '../exit-codes.js';
import { applyPlan, renderApplyReport } from './apply.js';
import { CloudCalls } from './cloud-calls.js';
import { openCloud, type CloudAccess } from './cloud-access.js';
import { DeviceOutput } from './device-output.js';
import { deviceFilter } from './device-filter.js';
import type { Cloud } from './fleet.js';
import { buildPlan, renderPlan, type FleetPlan } from './plan.js';
import { ApplyProgress } from './progress.js';
import { MigrationState } from './state-file.js';

/**
 * Calls per second when --rate is not given: AWS IoT's control-plane quotas are 10-15 per second
 * per API (CreateKeysAndCertificate the lowest); IoT Hub's identity registry takes 100 per minute
 * per S1/S2 unit (5,000 on S3).
 */
const DEFAULT_RATE: Readonly<Record<Cloud, number>> = { aws: 10, azure: 100 / 60 };

type Options = MigrateCliOptions & { readonly to: Cloud };

async function readPlan(source: CloudAccess, options: Options): Promise<FleetPlan> {
  const calls = new CloudCalls(options.rate ?? DEFAULT_RATE[options.from], options.concurrency * 4);
  try {
    const include = deviceFilter(options.devices);
    const fleet = await source.readFleet(calls, include, options.concurrency);
    return buildPlan(fleet, { to: options.to, include, topicPrefix: options.topicPrefix, ...(options.shadowName ? { shadowName: options.shadowName } : {}) });
  } finally {
    calls.close();
  }
}

function checkDirection(options: Options): void {
  if (options.from === options.to) throw new CliError(`--from and --to are both ${options.from}`);
}

export async function runPlanCommand(options: Options): Promise<void> {
  checkDirection(options);
  const source = await openCloud(options.from, options);
  try {
    const plan = await readPlan(source, options);
    process.stdout.write(options.json ? `${JSON.stringify(plan)}\n` : renderPlan(plan));
  } finally {
    source.close();
  }
}

export async function runApplyCommand(options: Options & MigrateApplyCliOptions): Promise<void> {
  checkDirection(options);
  const source = await openCloud(options.from, options);
  let target: CloudAccess | undefined;
  const calls = new CloudCalls(options.rate ?? DEFAULT_RATE[options.to], options.concurrency * 4);
  try {
    target = await openCloud(options.to, options);
    const plan = await readPlan(source, options);
    const state = await MigrationState.open(options.state ?? join(options.out, 'state.json'), { from: options.from, to: options.to, target: target.where }).catch((error: unknown) => {
      throw new CliError((error as Error).message);
    });
    const progress = new ApplyProgress();
    const report = await applyPlan(plan, target.target(calls, state), state, {
      dryRun: options.dryRun === true,
      concurrency: options.concurrency,
      outDir: options.out,
      output: (deviceId) => new DeviceOutput(options.out, deviceId, options.deviceDir),
      onDevice: (result, finished, total) => progress.device(result, finished, total),
      counters: () => ({ calls: calls.calls, throttled: calls.throttled }),
    });
    process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : renderApplyReport(report));
    if (report.totals.failed > 0) process.exitCode = EXIT.commandFailed;
  } finally {
    calls.close();
    source.close();
    target?.close();
  }
}
