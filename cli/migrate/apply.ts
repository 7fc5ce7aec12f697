import type { Cloud } from './fleet.js';
import type { DeviceOutput } from './device-output.js';
import type { DevicePlan } from './mapping.js';
import { mapLimited } from '../map-limited.js';
import type { FleetPlan } from './plan.js';
import type { MigrationState } from './state-file.js';
import type { TargetProvisioner } from './target.js';

/** How one device's provisioning ended. */
export interface DeviceResult {
  readonly id: string;
  /** `done`: every step done (now or before); `failed`: a step failed (rerun to continue); `blocked`: the plan says it cannot move. */
  readonly outcome: 'done' | 'failed' | 'blocked' | 'planned';
  /** Steps run in this run (with --dry-run: the steps a real run would take). */
  readonly steps: readonly string[];
  readonly error?: string;
}

export interface ApplyReport {
  readonly from: Cloud;
  readonly to: Cloud;
  readonly target: string;
  readonly dryRun: boolean;
  readonly outDir: string;
  readonly stateFile: string;
  readonly devices: readonly DeviceResult[];
  readonly totals: { readonly devices: number; readonly done: number; readonly failed: number; readonly blocked: number; readonly alreadyDone: number };
  readonly durationMs: number;
  /** Cloud calls made and throttled answers met (retried). */
  readonly calls: number;
  readonly throttled: number;
}

export interface ApplyOptions {
  readonly dryRun: boolean;
  readonly concurrency: number;
  readonly outDir: string;
  readonly output: (deviceId: string) => DeviceOutput;
  /** Called as each device ends (the progress display). */
  readonly onDevice?: (result: DeviceResult, finished: number, total: number) => void;
  readonly counters?: () => { calls: number; throttled: number };
}

/**
 * Provisions every device of the plan on the target, `concurrency` at a time, each through the
 * steps its state entry does not list as done. A device that fails is recorded and left for the
 * next run; the others carry on.
 */
export async function applyPlan(plan: FleetPlan, target: TargetProvisioner, state: MigrationState, options: ApplyOptions): Promise<ApplyReport> {
  const started = Date.now();
  const pending = (device: DevicePlan): string[] => target.steps.filter((step) => !state.done(device.id, step));
  let alreadyDone = 0;
  let finished = 0;
  if (!options.dryRun && plan.devices.some((device) => pending(device).length > 0)) await target.prepare();

  const results = await mapLimited(plan.devices, options.concurrency, async (device): Promise<DeviceResult> => {
    const steps = pending(device);
    let result: DeviceResult;
    if (device.findings.some((finding) => finding.level === 'blocked')) {
      result = { id: device.id, outcome: 'blocked', steps: [], error: device.findings.find((finding) => finding.level === 'blocked')?.message ?? 'blocked' };
    } else if (steps.length === 0) {
      alreadyDone++;
      result = { id: device.id, outcome: 'done', steps: [] };
    } else if (options.dryRun) {
      result = { id: device.id, outcome: 'planned', steps };
    } else {
      try {
        await target.provision(device, options.output(device.id));
        result = { id: device.id, outcome: 'done', steps };
      } catch (error) {
        const message = describe(error);
        await state.fail(device.id, message);
        result = { id: device.id, outcome: 'failed', steps: steps.filter((step) => state.done(device.id, step)), error: message };
      }
    }
    options.onDevice?.(result, ++finished, plan.devices.length);
    return result;
  });

  const count = (outcome: DeviceResult['outcome']): number => results.filter((result) => result.outcome === outcome).length;
  const counters = options.counters?.() ?? { calls: 0, throttled: 0 };
  return {
    from: plan.from,
    to: plan.to,
    target: state.target,
    dryRun: options.dryRun,
    outDir: options.outDir,
    stateFile: state.path,
    devices: results,
    totals: { devices: results.length, done: count('done'), failed: count('failed'), blocked: count('blocked'), alreadyDone },
    durationMs: Date.now() - started,
    ...counters,
  };
}

/** An error in one line, as the cloud named it (SDK errors carry the service's exception name). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
}

/** The report as text. */
export function renderApplyReport(report: ApplyReport): string {
  const lines: string[] = [];
  const { totals } = report;
  if (report.dryRun) {
    lines.push(`dry run: nothing was created on ${report.target}`);
    for (const device of report.devices) if (device.outcome === 'planned') lines.push(`  ${device.id}: would run ${device.steps.join(', ')}`);
  }
  for (const device of report.devices) {
    if (device.outcome === 'failed' || device.outcome === 'blocked') lines.push(`  ${device.outcome} ${device.id}: ${device.error ?? ''}`);
  }
  lines.push(
    `${totals.devices} device(s): ${totals.done} done (${totals.alreadyDone} already before this run), ${totals.failed} failed, ${totals.blocked} blocked` +
      ` in ${(report.durationMs / 1000).toFixed(1)} s, ${report.calls} cloud calls${report.throttled ? `, ${report.throttled} throttled and retried` : ''}`,
  );
  if (!report.dryRun) lines.push(`device folders: ${report.outDir}; state: ${report.stateFile}${totals.failed ? ' (run apply again to continue)' : ''}`);
  return `${lines.join('\n')}\n`;
}
