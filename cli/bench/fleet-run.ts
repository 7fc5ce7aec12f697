import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createBuiltinRegistry } from '../builtins.js';
import { runFleet, type FleetOptions, type FleetReport } from './fleet.js';
import { formatFleetReport } from './fleet-report.js';

/** `amora bench fleet`: runs the fleet, prints the table, or the JSON (`--json`) on stdout or into a file (`--json FILE`). */
export async function runFleetBench(options: FleetOptions, json: string | true | undefined): Promise<FleetReport> {
  // Exit (not die) on a signal, so the broker's exit hook stops the Mosquitto the bench started.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  const report = await runFleet(createBuiltinRegistry(), options);
  const text = `${JSON.stringify(report, null, 2)}\n`;
  if (json === true) {
    process.stdout.write(text);
  } else {
    process.stdout.write(`${formatFleetReport(report)}\n`);
    if (json) {
      await mkdir(dirname(json), { recursive: true });
      await writeFile(json, text);
      process.stdout.write(`JSON: ${json}\n`);
    }
  }
  return report;
}
