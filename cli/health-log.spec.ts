import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  type AgentHealth,
  type ConnectionStatus,
  type Logger,
} from '../core/index.js';
import { logHealthChanges, whenAllCredentialsRefused } from './health-log.js';

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

const credentialsRefused: ConnectionStatus = { state: 'offline', since: 1, error: { code: 'authentication_failed', message: 'broker refused the credentials' } };

describe('whenAllCredentialsRefused', () => {
  it('fires once, only when every transport refused the credentials', () => {
    const health$ = new Subject<AgentHealth>();
    let fired = 0;
    whenAllCredentialsRefused(health$, ['mqtt', 'aws-iot'], () => fired++);
    health$.next({ components: { player: { state: 'online', since: 0 }, mqtt: credentialsRefused, 'aws-iot': refused } });
    expect(fired).toBe(0);
    health$.next({ components: { player: { state: 'online', since: 0 }, mqtt: credentialsRefused, 'aws-iot': { state: 'online', since: 2 } } });
    expect(fired).toBe(0);
    health$.next({ components: { player: { state: 'online', since: 0 }, mqtt: credentialsRefused, 'aws-iot': credentialsRefused } });
    health$.next({ components: { player: { state: 'online', since: 0 }, mqtt: credentialsRefused, 'aws-iot': credentialsRefused } });
    expect(fired).toBe(1);
  });

  it('logs a refusal as an error that says it will not retry', () => {
    const health$ = new Subject<AgentHealth>();
    const lines: string[] = [];
    logHealthChanges(health$, recordingLogger(lines));
    health$.next({ components: { mqtt: credentialsRefused } });
    expect(lines).toEqual(['error mqtt refused the credentials; not retrying']);
  });
});
