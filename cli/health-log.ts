import { filter, take, type Observable, type Subscription } from 'rxjs';
import {
  type AgentHealth,
  type Logger,
} from '../core/index.js';

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
        const refused = status.error.code === 'authentication_failed';
        const message = refused ? `${id} refused the credentials; not retrying` : `${id} is offline; retrying`;
        logger[refused ? 'error' : 'warn']({ component: id, code: status.error.code, reason: status.error.message }, message);
      }
    }
  });
}

/**
 * Calls `onAllRefused` once when every transport is offline because its credentials were refused:
 * transports do not retry refused credentials, so the agent could only sit idle. Exiting instead
 * lets systemd or a supervisor show the failure.
 */
export function whenAllCredentialsRefused(health$: Observable<AgentHealth>, transportIds: readonly string[], onAllRefused: () => void): Subscription {
  const refused = ({ components }: AgentHealth) =>
    transportIds.length > 0 &&
    transportIds.every((id) => components[id]?.state === 'offline' && components[id]?.error?.code === 'authentication_failed');
  return health$.pipe(filter(refused), take(1)).subscribe(() => onAllRefused());
}
