import type { Aedes } from 'aedes';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** CONNACK return codes (MQTT 3.1.1) by the reason a refusal label shows. */
const REFUSAL_REASONS: Readonly<Record<number, string>> = {
  1: 'protocol_version',
  2: 'client_id',
  3: 'server_unavailable',
  4: 'bad_credentials',
  5: 'not_authorized',
};

/**
 * The embedded broker's Prometheus metrics, fed from aedes' own events: connected clients,
 * subscriptions, messages, and connections refused (counted from the CONNACK aedes sends, so
 * refusals are seen whichever authentication hook, if any, refused them).
 */
export function brokerMetrics(aedes: Aedes): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const clients = new Gauge({ name: 'amora_broker_clients', help: 'Clients connected now', registers });
  const subscriptions = new Gauge({ name: 'amora_broker_subscriptions', help: 'Topic subscriptions held by connected clients', registers });
  const connections = new Counter({ name: 'amora_broker_connections_total', help: 'Clients that completed a connection', registers });
  const disconnections = new Counter({ name: 'amora_broker_disconnections_total', help: 'Clients that disconnected (gracefully or not)', registers });
  const messages = new Counter({ name: 'amora_broker_messages_total', help: 'Messages published by clients (broker-internal $SYS messages excluded)', labelNames: ['qos', 'retain'], registers });
  const bytes = new Counter({ name: 'amora_broker_message_bytes_total', help: 'Payload bytes published by clients', registers });
  const refusals = new Counter({ name: 'amora_broker_auth_refusals_total', help: 'Connections refused in the CONNACK, by reason', labelNames: ['reason'], registers });
  for (const reason of ['bad_credentials', 'not_authorized']) refusals.inc({ reason }, 0);
  const clientErrors = new Counter({ name: 'amora_broker_client_errors_total', help: 'Client connections that ended in an error (protocol, keepalive, socket)', registers });

  // Subscriptions per client, so a disconnect takes its client's share off the gauge.
  const held = new Map<string, Set<string>>();
  const recount = (): void => subscriptions.set([...held.values()].reduce((sum, topics) => sum + topics.size, 0));
  aedes.on('client', () => {
    connections.inc();
    clients.set(aedes.connectedClients);
  });
  aedes.on('clientDisconnect', (client) => {
    disconnections.inc();
    clients.set(aedes.connectedClients);
    held.delete(client.id);
    recount();
  });
  aedes.on('subscribe', (subs, client) => {
    const topics = held.get(client.id) ?? new Set<string>();
    for (const sub of subs) topics.add(sub.topic);
    held.set(client.id, topics);
    recount();
  });
  aedes.on('unsubscribe', (topics, client) => {
    for (const topic of topics) held.get(client.id)?.delete(topic);
    recount();
  });
  aedes.on('publish', (packet, client) => {
    if (!client) return; // the broker's own $SYS and will messages
    messages.inc({ qos: String(packet.qos), retain: String(packet.retain) });
    bytes.inc(typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length);
  });
  aedes.on('connackSent', (packet) => {
    const code = (packet as { returnCode?: number; reasonCode?: number }).returnCode ?? (packet as { reasonCode?: number }).reasonCode ?? 0;
    if (code !== 0) refusals.inc({ reason: REFUSAL_REASONS[code] ?? `code_${code}` });
  });
  aedes.on('clientError', () => clientErrors.inc());
  return registry;
}
