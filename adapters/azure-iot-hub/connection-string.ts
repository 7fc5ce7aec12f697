/**
 * IoT Hub connection strings: `Key=Value;Key=Value`, values may contain `=` (base64 keys).
 * Device: `HostName=…;DeviceId=…;SharedAccessKey=…` (or `x509=true`, or `SharedAccessSignature=…`).
 * Service: `HostName=…;SharedAccessKeyName=…;SharedAccessKey=…`.
 * A HostName may carry a port (`localhost:8883`), which the SDKs accept and the emulator prints.
 * Connection strings are secrets: errors name the missing key, never the value.
 */
export type ConnectionStringFields = Readonly<Record<string, string>>;

/** Parses `Key=Value;…`; throws a plain Error naming the problem (never the value). */
export function parseConnectionString(value: string): ConnectionStringFields {
  const fields: Record<string, string> = {};
  for (const part of value.split(';')) {
    if (part.trim() === '') continue;
    const at = part.indexOf('=');
    if (at <= 0) throw new Error('connection string is malformed: expected Key=Value pairs separated by ";"');
    fields[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return fields;
}

export function formatConnectionString(fields: ConnectionStringFields): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key}=${value}`)
    .join(';');
}

export interface DeviceConnectionInfo {
  readonly hostName: string;
  readonly deviceId: string;
  readonly moduleId?: string;
  readonly gatewayHostName?: string;
  readonly auth: 'sas-key' | 'sas-token' | 'x509';
}

/** Reads the non-secret parts of a device connection string, checking the required keys are present. */
export function deviceConnectionInfo(connectionString: string): DeviceConnectionInfo {
  const fields = parseConnectionString(connectionString);
  const hostName = fields['HostName'];
  const deviceId = fields['DeviceId'];
  if (!hostName) throw new Error('device connection string lacks HostName');
  if (!deviceId) throw new Error('device connection string lacks DeviceId');
  const auth = fields['SharedAccessKey']
    ? 'sas-key'
    : fields['SharedAccessSignature']
      ? 'sas-token'
      : fields['x509']?.toLowerCase() === 'true'
        ? 'x509'
        : undefined;
  if (!auth) throw new Error('device connection string needs SharedAccessKey, SharedAccessSignature or x509=true');
  return {
    hostName,
    deviceId,
    auth,
    ...(fields['ModuleId'] ? { moduleId: fields['ModuleId'] } : {}),
    ...(fields['GatewayHostName'] ? { gatewayHostName: fields['GatewayHostName'] } : {}),
  };
}

export interface ServiceConnectionInfo {
  readonly hostName: string;
  readonly keyName: string;
  readonly key: string;
}

/** Reads a service (policy) connection string; the result holds the key, so treat it as a secret. */
export function serviceConnectionInfo(connectionString: string): ServiceConnectionInfo {
  const fields = parseConnectionString(connectionString);
  const hostName = fields['HostName'];
  const keyName = fields['SharedAccessKeyName'];
  const key = fields['SharedAccessKey'];
  if (!hostName) throw new Error('service connection string lacks HostName');
  if (!keyName) throw new Error('service connection string lacks SharedAccessKeyName');
  if (!key) throw new Error('service connection string lacks SharedAccessKey');
  return { hostName, keyName, key };
}

/** Splits `host[:port]`; IPv6 literals in brackets are kept whole. */
export function splitHostPort(hostName: string): { readonly host: string; readonly port?: number } {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostName);
  if (!match) return { host: hostName };
  return match[2] === undefined ? { host: match[1]! } : { host: match[1]!, port: Number(match[2]) };
}

/** An Event Hub(-compatible endpoint) connection string, read; holds the key, so treat it as a secret. */
export interface EventHubConnectionInfo {
  /** `sb://host[:port]/`, the start of every token audience. */
  readonly endpoint: string;
  readonly host: string;
  readonly port?: number;
  readonly keyName: string;
  readonly key: string;
  /** The Event Hub name (for IoT Hub's built-in endpoint: the hub's Event Hub-compatible name). */
  readonly entityPath: string;
  /** `UseDevelopmentEmulator=true`: plain AMQP (default port 5672) instead of AMQPS (5671). */
  readonly developmentEmulator: boolean;
}

/** Reads `Endpoint=sb://…/;SharedAccessKeyName=…;SharedAccessKey=…;EntityPath=…[;UseDevelopmentEmulator=true]`. */
export function eventHubConnectionInfo(connectionString: string): EventHubConnectionInfo {
  const fields = parseConnectionString(connectionString);
  const endpoint = fields['Endpoint'];
  const keyName = fields['SharedAccessKeyName'];
  const key = fields['SharedAccessKey'];
  const entityPath = fields['EntityPath'];
  if (!endpoint) throw new Error('Event Hub connection string lacks Endpoint');
  if (!keyName || !key) throw new Error('Event Hub connection string needs SharedAccessKeyName and SharedAccessKey');
  if (!entityPath) throw new Error('Event Hub connection string lacks EntityPath');
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error('Event Hub connection string: Endpoint is not a URL (expected sb://host/)');
  }
  if (url.protocol !== 'sb:' || url.hostname === '') throw new Error('Event Hub connection string: Endpoint must be sb://host[:port]/');
  return {
    endpoint: `sb://${url.host}/`,
    host: url.hostname,
    ...(url.port === '' ? {} : { port: Number(url.port) }),
    keyName,
    key,
    entityPath,
    developmentEmulator: fields['UseDevelopmentEmulator']?.toLowerCase() === 'true',
  };
}
