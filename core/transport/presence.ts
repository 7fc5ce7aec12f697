import type { ConnectionMessage, OfflineReason } from './wire-messages.js';

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
