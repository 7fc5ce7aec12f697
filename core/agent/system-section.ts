import type { Clock } from '../clock.js';
import type { JsonObject } from '../state/json.js';
import type { SystemSectionOptions } from './agent.types.js';

/**
 * Keeps the `system` section of reported state: `version` and `boot_time` (epoch ms of the
 * agent's start) once, `uptime` (whole seconds since start) refreshed at a modest interval, because every refresh is a state publish on every transport.
 * The refresh also carries `last_command`: per transport id, when the last command that came in
 * over it arrived (epoch ms), so whoever watches either side of a multi-transport agent (a
 * migration's status) sees where commands still come from, without a publish per command.
 */
export class SystemSection {
  private timer?: { cancel(): void };
  private startedAt = 0;

  constructor(
    private readonly version: string,
    private readonly options: SystemSectionOptions,
    private readonly clock: Clock,
    private readonly patch: (patch: JsonObject) => void,
    private readonly onError: (error: unknown) => void,
    private readonly lastCommands: () => Readonly<Record<string, number>> = () => ({}),
  ) {}

  start(): void {
    this.startedAt = this.clock.now();
    // boot_time tells a controller that the device restarted (a reboot, a crash, an update).
    this.patch({ system: { version: this.version, boot_time: this.startedAt, uptime: 0, ...this.extra() } });
    this.schedule();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** The caller's extra members; a throwing callback costs its members, not the uptime timer. */
  private extra(): JsonObject {
    try {
      return this.options.extra?.() ?? {};
    } catch (error) {
      this.onError(error);
      return {};
    }
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => {
      const uptime = Math.floor((this.clock.now() - this.startedAt) / 1000);
      const commands = this.lastCommands();
      this.patch({ system: { uptime, ...(Object.keys(commands).length > 0 ? { last_command: { ...commands } } : {}), ...this.extra() } });
      this.schedule();
    }, this.options.uptimeIntervalMs ?? 60_000);
  }
}
