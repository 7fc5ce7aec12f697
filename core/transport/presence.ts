import type { PresenceState } from './connection-status.js';
import { readPayload } from './payload-json.js';
import { connectionMessageSchema, type ConnectionMessage, type OfflineReason } from './wire-messages.js';

/**
 * The presence message of the generic wire protocol: `online` after every connect, `offline` with
 * `graceful` as the goodbye and `lost` as the last will. `timestamp` is required by the schema.
 */
export function presenceMessage(deviceId: string, status: 'online' | 'offline', now: number, reason?: OfflineReason): ConnectionMessage {
  return { device_id: deviceId, status, timestamp: now, ...(status === 'offline' && reason ? { reason } : {}) };
}

/** The goodbye a device publishes before a clean disconnect. */
export function gracefulOffline(deviceId: string, now: number): ConnectionMessage {
  return presenceMessage(deviceId, 'offline', now, 'graceful');
}

/** The last will the broker publishes for a device whose connection died without a goodbye. */
export function lostOffline(deviceId: string, now: number): ConnectionMessage {
  return presenceMessage(deviceId, 'offline', now, 'lost');
}

/**
 * What a controller makes of a retained presence payload: an empty one clears presence (a
 * decommissioned device) and reads `unknown`; one that is not a presence message, undefined.
 */
export function presenceOf(payload: Uint8Array | string): PresenceState | undefined {
  if (payload.length === 0) return 'unknown';
  return readPayload(connectionMessageSchema, payload)?.status;
}
