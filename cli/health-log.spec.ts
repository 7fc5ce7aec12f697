import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { AgentHealth } from '../core/agent/agent.types.js';
import type { Logger } from '../core/logging/logger.js';
import type { ConnectionStatus } from '../core/transport/connection-status.js';
import { logHealthChanges } from './health-log.js';

function recordingLogger(lines: string[]): Logger {
  const log = (level: string) => (fields: unknown, message?: string) => void lines.push(`${level} ${typeof fields === 'string' ? fields : message}`);
  const logger: Logger = { trace: log('trace'), debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger };
  return logger;
}

const refused: ConnectionStatus = { state: 'offline', since: 1, error: { code: 'unavailable', message: 'cannot connect to MQTT broker mqtt://h:1' } };

describe('logHealthChanges', () => {
  it('warns once while a transport keeps failing, and says when it is back', () => {
    const health$ = new Subject<AgentHealth>();
    const lines: string[] = [];
    const subscription = logHealthChanges(health$, recordingLogger(lines));
    health$.next({ components: { player: { state: 'online', since: 0 }, mqtt: { state: 'connecting', since: 0 } } });
    health$.next({ components: { player: { state: 'online', since: 0 }, mqtt: refused } });
    health$.next({ components: { player: { state: 'online', since: 0 }, mqtt: { ...refused, state: 'connecting' } } });
    health$.next({ components: { player: { state: 'online', since: 0 }, mqtt: { ...refused, since: 2 } } });
    health$.next({ components: { player: { state: 'online', since: 0 }, mqtt: { state: 'online', since: 3 } } });
    health$.next({ components: { player: { state: 'online', since: 0 }, mqtt: { state: 'closed', since: 4 } } });
    subscription.unsubscribe();
    expect(lines).toEqual(['warn mqtt is offline; retrying', 'info mqtt is online again']);
  });
});
