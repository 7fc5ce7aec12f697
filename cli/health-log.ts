import type { Observable, Subscription } from 'rxjs';
import type { AgentHealth } from '../core/agent/agent.types.js';
import type { Logger } from '../core/logging/logger.js';

/**
 * Logs when a transport or component goes offline or cannot connect (a warning with the reason,
 * which names the address) and when it comes back. Adapters log a first failed attempt quietly, as they keep
 * retrying; an operator starting `amora agent` against a wrong address must see it at once.
 */
export function logHealthChanges(health$: Observable<AgentHealth>, logger: Logger): Subscription {
  const failing = new Set<string>();
  return health$.subscribe(({ components }) => {
    for (const [id, status] of Object.entries(components)) {
      if (status.state === 'online' && failing.delete(id)) {
        logger.info({ component: id }, `${id} is online again`);
      } else if (status.state !== 'online' && status.state !== 'closed' && status.error && !failing.has(id)) {
        failing.add(id);
        logger.warn({ component: id, code: status.error.code, reason: status.error.message }, `${id} is offline; retrying`);
      }
    }
  });
}
