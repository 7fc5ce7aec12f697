import type { Aedes, Client } from 'aedes';
import {
  type Logger,
} from '../../../core/index.js';
import type { BrokerAuthorizer } from './broker-authorizer.js';
import type { AuthorizedClient } from './identity.js';

/**
 * Where a denied PUBLISH goes: aedes disconnects a client whose publish its hook rejects, while
 * Mosquitto (MQTT 3.1.1) acknowledges and drops it. To drop it the same way, the hook renames the
 * topic to this one, which no client may receive, and clears retain so nothing is stored.
 */
const DENIED_TOPIC = '$amora/denied';

/** The longest delay Node's setTimeout keeps (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Installs the authorizer on an aedes instance: authenticate, publish, subscribe and forward
 * (which also guards retained messages), and closes a JWT user's connection when its token expires.
 */
export function installAuthHooks(aedes: Aedes, authorizer: BrokerAuthorizer, logger: Logger): void {
  const clients = new WeakMap<Client, AuthorizedClient>();
  const expiries = new Map<Client, NodeJS.Timeout>();

  aedes.authenticate = (client, username, password, done) => {
    authorizer.authenticate(client.conn, client.id, username, password, client).then(
      (authorized) => {
        clients.set(client, authorized);
        if (authorized.identity.kind === 'jwt') {
          const { expiresAt, name } = authorized.identity;
          const arm = (): void => {
            const left = expiresAt - Date.now();
            // Node fires a timer longer than 2^31-1 ms at once: a token valid for weeks re-arms.
            const timer = setTimeout(() => {
              if (left > MAX_TIMER_MS) return arm();
              logger.info({ clientId: client.id, user: name }, 'JWT expired: closing the connection');
              client.close();
            }, Math.min(Math.max(0, left), MAX_TIMER_MS));
            timer.unref();
            expiries.set(client, timer);
          };
          arm();
        }
        done(null, true);
      },
      (error: Error & { returnCode?: number }) => {
        logger.warn({ clientId: client.id, username, reason: error.message }, 'broker refused a connection');
        const refusal = Object.assign(new Error(error.message), { returnCode: error.returnCode ?? 5 });
        done(refusal as Parameters<typeof done>[0], false);
      },
    );
  };

  aedes.on('clientDisconnect', (client) => {
    clearTimeout(expiries.get(client));
    expiries.delete(client);
    // aedes emits this for a client taken over too; the binding then names the new one and stays.
    if (clients.has(client)) authorizer.release(client.id, !client.clean, client);
  });

  aedes.authorizePublish = (client, packet, done) => {
    if (packet.topic.startsWith('$SYS/')) return done(new Error('$SYS/ topics are reserved to the broker'));
    const authorized = client ? clients.get(client) : undefined;
    // A will published after its client is gone (client null) was checked when it was stored.
    if (client && (!authorized || !authorizer.allows(authorized, 'write', packet.topic))) {
      packet.topic = DENIED_TOPIC;
      packet.retain = false;
    }
    done(null);
  };

  aedes.authorizeSubscribe = (client, subscription, done) => {
    const authorized = clients.get(client);
    const allowed = authorized !== undefined && !subscription.topic.startsWith(DENIED_TOPIC) && authorizer.allows(authorized, 'subscribe', subscription.topic);
    done(null, allowed ? subscription : null);
  };

  aedes.authorizeForward = (client, packet) => {
    if (packet.topic === DENIED_TOPIC) return null;
    const authorized = clients.get(client);
    return authorized && authorizer.allows(authorized, 'read', packet.topic) ? packet : null;
  };
}
