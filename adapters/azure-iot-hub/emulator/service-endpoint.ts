import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  isJsonObject,
  type JsonObject,
  type JsonValue,
} from '../../../core/index.js';
import { IOT_HUB_LIMITS, jsonByteLength } from '../limits.js';
import { parseSasToken, sasResource, sasSignatureMatches } from '../sas.js';
import { MethodInvocationError, type DeviceEndpoint } from './device-endpoint.js';
import { parseDeviceQuery, QuerySyntaxError } from './device-query.js';
import { RegistryError, type CreateDeviceOptions, type DeviceRecord, type HubRegistry, type PolicyRight } from './hub-registry.js';
import { serviceTwinProperties, TwinUpdateError } from './twin-record.js';

/**
 * The service side of the emulator: the subset of IoT Hub's HTTPS REST API that the real
 * `azure-iothub` package calls for twins (get, patch with If-Match, replace), direct methods
 * (with connect and response timeouts, 404 for a device that stays offline), the device
 * registry (create, update with If-Match, get, list, delete, bulk add/update/remove) and twin
 * queries (`POST /devices/query`, see device-query.ts, paged by `x-ms-max-item-count` and
 * `x-ms-continuation`), authorised by policy SAS tokens. Errors use the hub's body shape
 * `{"Message":"ErrorCode:{code};{text}"}`, which the SDK parses into typed errors.
 */

export interface ServiceEndpointOptions {
  readonly registry: HubRegistry;
  readonly devices: DeviceEndpoint;
  readonly hostNames: () => readonly string[];
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY_BYTES = IOT_HUB_LIMITS.messageBytes * 2;
/** Query page sizes: IoT Hub's default and largest `x-ms-max-item-count`. */
const QUERY_PAGE_DEFAULT = 100;
const QUERY_PAGE_MAX = 1000;
/** Devices in one bulk registry call, as the hub (and the SDK) allow. */
const BULK_MAX = 100;

interface Answer {
  readonly body: JsonValue;
  readonly etag?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export class ServiceEndpoint {
  constructor(private readonly options: ServiceEndpointOptions) {}

  /** Handles one REST request; never throws. */
  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const url = new URL(request.url ?? '/', 'https://emulator');
      const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      const body = await readJsonBody(request);
      const result = await this.route(request.method ?? 'GET', segments, body, request);
      send(response, 200, result.body, result.etag, result.headers);
    } catch (error) {
      const failure = toHttpError(error);
      send(response, failure.status, { Message: `ErrorCode:${failure.errorCode};${failure.message}`, ExceptionMessage: '' });
    }
  }

  private async route(
    method: string,
    segments: readonly string[],
    body: JsonValue | undefined,
    request: IncomingMessage,
  ): Promise<Answer> {
    const { registry } = this.options;
    const [collection, deviceId, sub] = segments;
    if (collection === 'twins' && deviceId !== undefined && sub === undefined) {
      if (method === 'GET') {
        this.authorize(request, ['RegistryRead', 'ServiceConnect']);
        return this.twin(registry.requireDevice(deviceId));
      }
      if (method === 'PATCH' || method === 'PUT') {
        this.authorize(request, ['RegistryWrite', 'ServiceConnect']);
        if (!isJsonObject(body)) throw new HttpError(400, 'ArgumentInvalid', 'the twin patch must be a JSON object');
        registry.patchTwin(deviceId, body, header(request, 'if-match'), method === 'PUT');
        return this.twin(registry.requireDevice(deviceId));
      }
    }
    if (collection === 'twins' && deviceId !== undefined && sub === 'methods' && method === 'POST') {
      this.authorize(request, ['ServiceConnect']);
      registry.requireDevice(deviceId);
      return { body: await this.invoke(deviceId, body) };
    }
    if (collection === 'devices' && deviceId === undefined && method === 'GET') {
      this.authorize(request, ['RegistryRead']);
      return { body: registry.listDevices().map((device) => this.deviceJson(device)) };
    }
    if (collection === 'devices' && deviceId === undefined && method === 'POST') {
      this.authorize(request, ['RegistryWrite']);
      return { body: this.bulk(body) };
    }
    if (collection === 'devices' && deviceId === 'query' && sub === undefined && method === 'POST') {
      this.authorize(request, ['RegistryRead']);
      return this.query(body, request);
    }
    if (collection === 'devices' && deviceId !== undefined && sub === undefined) {
      if (method === 'GET') {
        this.authorize(request, ['RegistryRead']);
        return { body: this.deviceJson(registry.requireDevice(deviceId)) };
      }
      if (method === 'PUT') {
        this.authorize(request, ['RegistryWrite']);
        return { body: this.deviceJson(this.createOrUpdate(deviceId, body, header(request, 'if-match'))) };
      }
      if (method === 'DELETE') {
        this.authorize(request, ['RegistryWrite']);
        this.deleteDevice(deviceId);
        return { body: null };
      }
    }
    throw new HttpError(404, 'NotFound', `no route for ${method} /${segments.join('/')}`);
  }

  private async invoke(deviceId: string, body: JsonValue | undefined): Promise<JsonObject> {
    if (!isJsonObject(body)) throw new HttpError(400, 'ArgumentInvalid', 'the method request must be a JSON object');
    const methodName = body['methodName'];
    if (typeof methodName !== 'string' || methodName === '') throw new HttpError(400, 'ArgumentInvalid', 'methodName is required');
    const responseTimeout = seconds(body['responseTimeoutInSeconds'], 30, 5, 300, 'responseTimeoutInSeconds');
    const connectTimeout = seconds(body['connectTimeoutInSeconds'], 0, 0, 300, 'connectTimeoutInSeconds');
    const payload = body['payload'] ?? null;
    if (jsonByteLength(payload) > IOT_HUB_LIMITS.methodPayloadBytes) {
      throw new HttpError(413, 'MessageTooLarge', 'method payload is larger than 128 KB');
    }
    const result = await this.options.devices.invokeMethod(deviceId, methodName, payload, {
      connectTimeoutMs: connectTimeout * 1000,
      responseTimeoutMs: responseTimeout * 1000,
    });
    return { status: result.status, payload: result.payload };
  }

  /**
   * PUT /devices/{id}: without If-Match a create (409 DeviceAlreadyExists when the id is taken, as
   * `Registry.create` gets from the hub); with If-Match (`Registry.update` sends `*`) an update of
   * the status of an existing device, its etag checked unless `*`.
   */
  private createOrUpdate(deviceId: string, body: JsonValue | undefined, ifMatch: string | undefined): DeviceRecord {
    const { registry } = this.options;
    const info = isJsonObject(body) ? body : {};
    if (typeof info['deviceId'] === 'string' && info['deviceId'] !== deviceId) {
      throw new HttpError(400, 'ArgumentInvalid', 'the deviceId in the body does not match the one in the path');
    }
    const existing = registry.getDevice(deviceId);
    let device: DeviceRecord;
    if (ifMatch === undefined) {
      device = registry.createDevice(deviceId, createOptions(info));
    } else {
      if (!existing) throw new RegistryError(404, 'DeviceNotFound', `device ${deviceId} is not registered`);
      checkDeviceEtag(existing, ifMatch);
      device = existing;
    }
    return this.setStatus(deviceId, info['status']) ?? device;
  }

  /** A deleted or disabled device loses its connection at once, as on the hub. */
  private deleteDevice(deviceId: string): void {
    this.options.registry.deleteDevice(deviceId);
    this.options.devices.disconnect(deviceId);
  }

  private setStatus(deviceId: string, status: JsonValue | undefined): DeviceRecord | undefined {
    if (status !== 'enabled' && status !== 'disabled') return undefined;
    const device = this.options.registry.setStatus(deviceId, status);
    if (status === 'disabled') this.options.devices.disconnect(deviceId);
    return device;
  }

  /**
   * POST /devices: `Registry.addDevices` / `updateDevices` / `removeDevices`, up to 100 devices,
   * each done or failed on its own; the answer lists the failures as the hub's bulk result does.
   */
  private bulk(body: JsonValue | undefined): JsonObject {
    if (!Array.isArray(body) || body.length === 0 || body.length > BULK_MAX) {
      throw new HttpError(400, 'ArgumentInvalid', `the body must be an array of 1 to ${BULK_MAX} devices`);
    }
    const { registry } = this.options;
    const errors: JsonObject[] = [];
    for (const entry of body) {
      const info = isJsonObject(entry) ? entry : {};
      const deviceId = typeof info['id'] === 'string' ? info['id'] : '';
      const mode = String(info['importMode'] ?? '').toLowerCase();
      try {
        if (mode === 'create') {
          registry.createDevice(deviceId, createOptions(info));
          continue;
        }
        const existing = registry.requireDevice(deviceId);
        if (mode.endsWith('ifmatchetag')) checkDeviceEtag(existing, String(info['eTag'] ?? ''));
        if (mode === 'update' || mode === 'updateifmatchetag') {
          this.setStatus(deviceId, info['status']);
        } else if (mode === 'delete' || mode === 'deleteifmatchetag') {
          this.deleteDevice(deviceId);
        } else {
          throw new HttpError(400, 'ArgumentInvalid', `unknown importMode ${String(info['importMode'])}`);
        }
      } catch (error) {
        const failure = toHttpError(error);
        errors.push({ deviceId, errorCode: failure.errorCode, errorStatus: failure.message });
      }
    }
    return { isSuccessful: errors.length === 0, errors, warnings: [] };
  }

  /** POST /devices/query: one page of twins matching the query, ordered by device id. */
  private query(body: JsonValue | undefined, request: IncomingMessage): Answer {
    const sql = isJsonObject(body) ? body['query'] : undefined;
    if (typeof sql !== 'string' || sql.trim() === '') throw new HttpError(400, 'ArgumentInvalid', 'the body must be {"query": "SELECT * FROM devices ..."}');
    let matches;
    try {
      matches = parseDeviceQuery(sql);
    } catch (error) {
      if (error instanceof QuerySyntaxError) throw new HttpError(400, 'BadRequest', `query is not supported by the emulator: ${error.message}`);
      throw error;
    }
    const pageSize = Number(header(request, 'x-ms-max-item-count') ?? QUERY_PAGE_DEFAULT);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > QUERY_PAGE_MAX) {
      throw new HttpError(400, 'ArgumentInvalid', `x-ms-max-item-count must be between 1 and ${QUERY_PAGE_MAX}`);
    }
    // The continuation token is the last device id of the previous page, so pages stay exact
    // while devices are added or removed between calls.
    const token = header(request, 'x-ms-continuation');
    const after = token === undefined ? undefined : Buffer.from(token, 'base64url').toString('utf8');
    const twins = this.options.registry
      .listDevices()
      .filter((device) => after === undefined || device.deviceId > after)
      .toSorted((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0))
      .map((device) => this.twin(device).body)
      .filter((twin) => matches(twin));
    const page = twins.slice(0, pageSize);
    const headers: Record<string, string> = { 'x-ms-item-type': 'Twin' };
    if (twins.length > pageSize) headers['x-ms-continuation'] = Buffer.from(String(page.at(-1)!['deviceId'])).toString('base64url');
    return { body: page, headers };
  }

  private twin(device: DeviceRecord): { body: JsonObject; etag: string } {
    const presence = this.options.registry.presenceOf(device.deviceId);
    const twin = device.twin;
    return {
      etag: twin.etag,
      body: {
        deviceId: device.deviceId,
        etag: twin.etag,
        deviceEtag: device.etag,
        status: device.status,
        connectionState: presence.connected ? 'Connected' : 'Disconnected',
        lastActivityTime: new Date(presence.lastActivity).toISOString(),
        cloudToDeviceMessageCount: 0,
        authenticationType: device.authentication.type,
        x509Thumbprint: thumbprints(device),
        modelId: '',
        version: twin.version,
        tags: twin.tags,
        properties: serviceTwinProperties(twin),
        capabilities: { iotEdge: false },
      },
    };
  }

  private deviceJson(device: DeviceRecord): JsonObject {
    const presence = this.options.registry.presenceOf(device.deviceId);
    const auth = device.authentication;
    return {
      deviceId: device.deviceId,
      generationId: device.deviceId,
      etag: device.etag,
      connectionState: presence.connected ? 'Connected' : 'Disconnected',
      status: device.status,
      statusReason: null,
      connectionStateUpdatedTime: new Date(presence.lastActivity).toISOString(),
      lastActivityTime: new Date(presence.lastActivity).toISOString(),
      cloudToDeviceMessageCount: 0,
      authentication: {
        symmetricKey: auth.type === 'sas' ? { primaryKey: auth.primaryKey, secondaryKey: auth.secondaryKey } : { primaryKey: null, secondaryKey: null },
        x509Thumbprint: thumbprints(device),
        type: auth.type,
      },
      capabilities: { iotEdge: false },
    };
  }

  /** Checks the policy SAS token in the Authorization header grants one of `rights`. */
  private authorize(request: IncomingMessage, rights: readonly PolicyRight[]): void {
    const fields = parseSasToken(header(request, 'authorization') ?? '');
    const unauthorized = new HttpError(401, 'IotHubUnauthorizedAccess', 'Unauthorized');
    if (!fields?.skn) throw unauthorized;
    const policy = this.options.registry.policy(fields.skn);
    if (!policy || !rights.some((right) => policy.rights.includes(right))) throw unauthorized;
    if (!this.options.hostNames().includes(sasResource(fields).toLowerCase())) throw unauthorized;
    if (fields.se * 1000 <= Date.now()) throw unauthorized;
    if (!sasSignatureMatches(fields, policy.primaryKey) && !sasSignatureMatches(fields, policy.secondaryKey)) throw unauthorized;
  }
}

/** If-Match on a device: `*` or its etag (quoted or not), 412 PreconditionFailed otherwise. */
function checkDeviceEtag(device: DeviceRecord, ifMatch: string): void {
  const wanted = ifMatch.replace(/^"|"$/g, '');
  if (wanted !== '*' && wanted !== device.etag) throw new HttpError(412, 'PreconditionFailed', 'the etag does not match the device');
}

/** What a device description in a create request asks for: SAS keys (generated when empty), X.509 thumbprints or CA. */
function createOptions(info: JsonObject): CreateDeviceOptions {
  const authentication = isJsonObject(info['authentication']) ? info['authentication'] : {};
  const symmetricKey = isJsonObject(authentication['symmetricKey']) ? authentication['symmetricKey'] : {};
  const x509 = isJsonObject(authentication['x509Thumbprint']) ? authentication['x509Thumbprint'] : {};
  const type = authentication['type'];
  if (type === 'certificateAuthority') return { certificateAuthority: true };
  if (type === 'selfSigned' && nonEmpty(x509['primaryThumbprint']) === undefined) {
    throw new HttpError(400, 'ArgumentInvalid', 'a selfSigned device needs x509Thumbprint.primaryThumbprint');
  }
  const options = {
    primaryKey: nonEmpty(symmetricKey['primaryKey']),
    secondaryKey: nonEmpty(symmetricKey['secondaryKey']),
    x509Thumbprint: nonEmpty(x509['primaryThumbprint']),
    secondaryX509Thumbprint: nonEmpty(x509['secondaryThumbprint']),
  };
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

/** A non-empty string, else undefined (the SDK sends '' for keys the hub should generate). */
function nonEmpty(value: JsonValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function thumbprints(device: DeviceRecord): JsonObject {
  const auth = device.authentication;
  return auth.type === 'selfSigned'
    ? { primaryThumbprint: auth.primaryThumbprint, secondaryThumbprint: auth.secondaryThumbprint ?? null }
    : { primaryThumbprint: null, secondaryThumbprint: null };
}

function seconds(value: JsonValue | undefined, fallback: number, min: number, max: number, name: string): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new HttpError(400, 'ArgumentInvalid', `${name} must be between ${min} and ${max}`);
  }
  return value;
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readJsonBody(request: IncomingMessage): Promise<JsonValue | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'MessageTooLarge', 'request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new HttpError(400, 'ArgumentInvalid', 'the request body is not valid JSON');
  }
}

function send(response: ServerResponse, status: number, body: JsonValue, etag?: string, extraHeaders: Readonly<Record<string, string>> = {}): void {
  const text = body === null ? '' : JSON.stringify(body);
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...extraHeaders,
  };
  if (etag) headers['ETag'] = `"${etag}"`;
  response.writeHead(status === 200 && body === null ? 204 : status, headers);
  response.end(text);
}

function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof RegistryError) return new HttpError(error.status, error.errorCode, error.message);
  if (error instanceof TwinUpdateError) {
    return new HttpError(error.status, error.status === 412 ? 'PreconditionFailed' : 'ArgumentInvalid', error.message);
  }
  if (error instanceof MethodInvocationError) return new HttpError(error.status, error.errorCode, error.message);
  return new HttpError(500, 'ServerError', 'internal emulator error');
}

