import type { AclEntry } from './acl-file.js';

/**
 * The rules the embedded broker applies without an ACL file: a device publishes only its own
 * state, presence, responses and telemetry and reads only its own commands and desired state; a
 * user reads those devices' outward channels and writes their commands and desired state, plus its
 * own controller response topic (`{p}/clients/{clientId}/#`).
 */
export function deviceGrants(prefix: string, deviceId: string): AclEntry[] {
  const base = `${prefix}/devices/${deviceId}`;
  return [
    { access: 'write', topic: `${base}/state` },
    { access: 'write', topic: `${base}/connection` },
    { access: 'write', topic: `${base}/responses` },
    { access: 'write', topic: `${base}/telemetry/#` },
    { access: 'read', topic: `${base}/commands` },
    { access: 'read', topic: `${base}/desired` },
  ];
}

export function userGrants(prefix: string, devices: readonly string[], clientId: string): AclEntry[] {
  const entries: AclEntry[] = [{ access: 'readwrite', topic: `${prefix}/clients/${clientId}/#` }];
  for (const deviceId of devices) {
    const base = `${prefix}/devices/${deviceId}`;
    entries.push(
      { access: 'read', topic: `${base}/state` },
      { access: 'read', topic: `${base}/connection` },
      { access: 'read', topic: `${base}/responses` },
      { access: 'read', topic: `${base}/telemetry/#` },
      { access: 'write', topic: `${base}/commands` },
      { access: 'write', topic: `${base}/desired` },
    );
  }
  return entries;
}

/** Everything: what an authenticated client gets from Mosquitto when it has no ACL file. */
export const FULL_ACCESS: readonly AclEntry[] = [{ access: 'readwrite', topic: '#' }];
