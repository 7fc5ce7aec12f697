import { CLOUD_NAMES, type Cloud, type SourceFleet } from './fleet.js';
import { planDevice, type DevicePlan } from './mapping.js';

/** Everything `plan` prints and `apply` carries out. */
export interface FleetPlan {
  readonly from: Cloud;
  readonly to: Cloud;
  readonly source: string;
  readonly devices: readonly DevicePlan[];
  /** How the source's command path maps onto the target's, one line each. */
  readonly commands: readonly string[];
  readonly totals: {
    readonly devices: number;
    readonly blocked: number;
    /** Devices with part of their data not carried (saved in unmapped.json instead). */
    readonly withDropped: number;
  };
}

export interface PlanOptions {
  readonly to: Cloud;
  /** The devices to include (see deviceFilter). */
  readonly include?: (id: string) => boolean;
  /** The target's topic prefix, for the command mapping (default `amora`). */
  readonly topicPrefix?: string;
  /** AWS: the named shadow desired state goes to (classic when absent). */
  readonly shadowName?: string;
}

export function buildPlan(fleet: SourceFleet, options: PlanOptions): FleetPlan {
  if (fleet.cloud === options.to) throw new RangeError(`--from and --to are both ${fleet.cloud}`);
  const devices = fleet.devices.filter((device) => options.include?.(device.id) ?? true).map((device) => planDevice(device, options.to));
  return {
    from: fleet.cloud,
    to: options.to,
    source: fleet.where,
    devices,
    commands: commandMapping(fleet.cloud, options.to, options.topicPrefix ?? 'amora', options.shadowName),
    totals: {
      devices: devices.length,
      blocked: devices.filter((device) => device.findings.some((finding) => finding.level === 'blocked')).length,
      withDropped: devices.filter((device) => device.findings.some((finding) => finding.level === 'dropped')).length,
    },
  };
}

/** The same commands travel differently on each cloud; the agent speaks both, callers must switch. */
function commandMapping(from: Cloud, to: Cloud, prefix: string, shadowName: string | undefined): string[] {
  const shadow = shadowName ? `named shadow "${shadowName}"` : 'classic shadow';
  const azure = [
    'direct method NAME with a JSON payload',
    'the method response (status 200/4xx/5xx with the CommandResponse)',
    'twin desired properties',
    'twin reported properties',
  ];
  const aws = [
    `{"command":"NAME","params":{...},"command_id":"..."} published on ${prefix}/devices/{thing}/commands`,
    `the CommandResponse on ${prefix}/devices/{thing}/responses (same command_id)`,
    `${shadow} state.desired`,
    `${shadow} state.reported`,
  ];
  const [source, target] = from === 'azure' ? [azure, aws] : [aws, azure];
  const labels = ['command', 'answer', 'desired state', 'reported state'];
  return labels.map((label, index) => `${label}: ${source[index]} -> ${target[index]}`);
}

/** The plan as text for a terminal: totals, per-device findings, the command mapping. */
export function renderPlan(plan: FleetPlan): string {
  const lines = [
    `migration plan: ${CLOUD_NAMES[plan.from]} (${plan.source}) -> ${CLOUD_NAMES[plan.to]}`,
    `${plan.totals.devices} device(s); ${plan.totals.blocked} blocked; ${plan.totals.withDropped} with data not carried (saved in unmapped.json)`,
    '',
    plan.to === 'aws'
      ? 'per device: CreateThing (attributes from tags), CreateKeysAndCertificate, AttachThingPrincipal, AttachPolicy, shadow desired from twin desired'
      : 'per device: device identity with a SAS key, twin desired from shadow desired, twin tags from thing attributes',
  ];
  for (const device of plan.devices) {
    const desiredKeys = Object.keys(device.desired);
    const extra = plan.to === 'aws' ? `attributes: ${Object.keys(device.attributes ?? {}).join(', ') || '-'}` : `tags: ${Object.keys(device.tags ?? {}).join(', ') || '-'}`;
    lines.push(`  ${device.id}: desired ${desiredKeys.join(', ') || '-'}; ${extra}`);
    for (const finding of device.findings) lines.push(`    ${finding.level}: ${finding.message}; ${finding.fix}`);
  }
  lines.push('', 'commands and state:', ...plan.commands.map((line) => `  ${line}`));
  return `${lines.join('\n')}\n`;
}
