import type { DeviceResult } from './apply.js';

const BAR_WIDTH = 30;

/**
 * Progress of `apply` on stderr (stdout stays for the report and --json): a bar redrawn in place
 * on a terminal, one plain line per device otherwise (CI logs, pipes).
 */
export class ApplyProgress {
  private failed = 0;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  device(result: DeviceResult, finished: number, total: number): void {
    if (result.outcome === 'failed') this.failed++;
    if (this.stream.isTTY) {
      const filled = total === 0 ? BAR_WIDTH : Math.round((finished / total) * BAR_WIDTH);
      const bar = `${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}`;
      this.stream.write(`\r[${bar}] ${finished}/${total}${this.failed ? ` (${this.failed} failed)` : ''}`);
      if (finished === total) this.stream.write('\n');
    } else {
      const detail = result.error ? `: ${result.error}` : result.steps.length ? ` (${result.steps.join(', ')})` : '';
      this.stream.write(`${finished}/${total} ${result.outcome} ${result.id}${detail}\n`);
    }
  }
}
