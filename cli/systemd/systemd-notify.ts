import { execFile } from 'node:child_process';
import type { Logger } from '../../core/index.js';

/**
 * The service manager protocol (sd_notify) for `Type=notify` units: READY=1 once the agent runs,
 * WATCHDOG=1 pings while it lives, STOPPING=1 on shutdown, STATUS= lines for `systemctl status`.
 *
 * Node has no AF_UNIX datagram sockets, and the npm packages that add them (`unix-dgram`,
 * `sd-notify`) are native addons, which an agent on a small ARM device should not need to build.
 * So each message is sent by `systemd-notify`, which is wherever systemd is. It runs with
 * `--pid=<our pid>`: the message then carries MAINPID and, when the agent runs as root, our pid as
 * its sender credentials; otherwise the kernel keeps systemd-notify's own pid, so the unit sets
 * `NotifyAccess=all` (examples/systemd/amora-agent.service). systemd-notify waits until systemd
 * has read the message (its barrier), so a short-lived sender is never dropped as unknown.
 * One spawn costs a few milliseconds (docs/operations.md), and the watchdog needs one every
 * WatchdogSec/2.
 */
export class SystemdNotifier {
  private watchdog?: NodeJS.Timeout;
  private warned = false;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly logger: Logger,
    private readonly pid: number = process.pid,
    private readonly binary: string = 'systemd-notify',
  ) {}

  /** True when started by systemd with a notify socket (Type=notify). */
  get enabled(): boolean {
    return Boolean(this.env['NOTIFY_SOCKET']);
  }

  /**
   * The watchdog period systemd asked for (WatchdogSec), ms; undefined when off or meant for
   * another process (WATCHDOG_PID).
   */
  get watchdogMs(): number | undefined {
    const usec = Number(this.env['WATCHDOG_USEC']);
    const pid = this.env['WATCHDOG_PID'];
    if (!this.enabled || !Number.isFinite(usec) || usec <= 0 || (pid !== undefined && Number(pid) !== this.pid)) return undefined;
    return usec / 1000;
  }

  /** Tells systemd the agent is up, and starts the watchdog pings (every half period, as sd_watchdog_enabled advises). */
  ready(status: string): Promise<void> {
    const period = this.watchdogMs;
    if (period !== undefined && !this.watchdog) {
      this.watchdog = setInterval(() => void this.send(['WATCHDOG=1']), Math.max(1, Math.floor(period / 2)));
      this.watchdog.unref();
    }
    return this.send(['READY=1', `STATUS=${status}`]);
  }

  status(text: string): Promise<void> {
    return this.send([`STATUS=${text}`]);
  }

  /** Stops the pings and tells systemd the agent is stopping (so a slow stop is not a hang). */
  stopping(): Promise<void> {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    return this.send(['STOPPING=1', 'STATUS=stopping']);
  }

  private send(lines: readonly string[]): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    return new Promise((resolve) => {
      execFile(this.binary, [`--pid=${this.pid}`, ...lines], { env: this.env, timeout: 10_000 }, (error) => {
        if (error && !this.warned) {
          // Once: a missing systemd-notify would otherwise log at every watchdog ping.
          this.warned = true;
          this.logger.warn({ err: error, message: lines.join(' ') }, 'cannot notify systemd (is systemd-notify installed?)');
        }
        resolve();
      });
    });
  }
}
