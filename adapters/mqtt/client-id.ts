/** A stable client id for a device transport instance: the broker keeps its session across restarts. */
export function deviceClientId(deviceId: string, instanceId: string): string {
  const suffix = instanceId === 'mqtt' ? '' : `-${instanceId.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  return `amora-${deviceId}${suffix}`;
}

/** A random client id for a controller (apps and tools may run many at once). */
export function controllerClientId(): string {
  const random = globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
  return `amora-ctl-${random.replaceAll('-', '').slice(0, 16)}`;
}
