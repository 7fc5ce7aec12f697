import type { Agent } from 'node:https';
import common from 'azure-iot-common';
import iothub from 'azure-iothub';
import {
  AmoraError,
  AuthenticationError,
  isJsonObject,
  TimeoutError,
  TransportError,
  type JsonObject,
  type JsonValue,
} from '../../core/index.js';
import { hubServiceSeam } from './service-http.js';
import { withoutDollarKeys } from './twin-members.js';

/**
 * The IoT Hub service API as the controller needs it, on the real azure-iothub Client and
 * Registry (through the RestApiClient seam, so a `host:port` HostName and a private CA work).
 * The SDK's own retries are off (its default retries throttled calls for up to 4 minutes); the
 * controller decides. Errors become ours, with the hub's HTTP status in `details.status`.
 */

/** A twin as the service reads it, reduced to what the controller uses. */
export interface ServiceTwin {
  readonly etag: string;
  readonly reported: JsonObject;
  readonly reportedVersion: number;
  /** Epoch ms of the last reported change, when the hub says. */
  readonly reportedUpdated?: number;
}

export interface DevicePresence {
  readonly deviceId: string;
  readonly connected: boolean;
  /** When the connection state last changed, as the hub reports it (compared, never parsed). */
  readonly changedAt?: string;
}

export interface MethodCall {
  readonly methodName: string;
  readonly payload: JsonValue;
  readonly responseTimeoutInSeconds: number;
  readonly connectTimeoutInSeconds: number;
}

type SdkError = Error & { response?: { statusCode?: number } };

export class IotHubServiceClient {
  readonly hostName: string;
  private readonly client: InstanceType<typeof iothub.Client>;
  private readonly registry: InstanceType<typeof iothub.Registry>;
  private readonly agent: Agent;

  constructor(connectionString: string, ca?: string) {
    const { hostName, config, rest, agent } = hubServiceSeam(connectionString, { userAgent: 'amora-sync', ca });
    this.agent = agent;
    this.hostName = hostName;
    // The transport argument serves cloud-to-device messaging over AMQP, which we do not use.
    this.client = new iothub.Client(new iothub.Amqp(config as never), rest);
    this.client.setRetryPolicy(new common.NoRetry());
    this.registry = new iothub.Registry(config, rest);
  }

  /** The twin, or undefined when the hub knows no such device. */
  async getTwin(deviceId: string): Promise<ServiceTwin | undefined> {
    try {
      const { responseBody } = await this.registry.getTwin(deviceId);
      return toServiceTwin(responseBody as unknown as JsonObject);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw serviceError(error, `reading the twin of ${deviceId}`);
    }
  }

  /** Merges `patch` into desired properties if the twin still has `etag` (`*`: whatever it has). */
  async updateDesired(deviceId: string, patch: JsonObject, etag: string): Promise<ServiceTwin> {
    try {
      const { responseBody } = await this.registry.updateTwin(deviceId, { properties: { desired: patch } }, etag);
      return toServiceTwin(responseBody as unknown as JsonObject);
    } catch (error) {
      throw serviceError(error, `updating the desired properties of ${deviceId}`);
    }
  }

  /** Invokes a direct method; resolves with the device's status and payload. */
  async invoke(deviceId: string, call: MethodCall): Promise<{ readonly status: number; readonly payload: JsonValue }> {
    try {
      const { result } = await this.client.invokeDeviceMethod(deviceId, { ...call });
      const answer = result as { status?: unknown; payload?: JsonValue } | undefined;
      return { status: typeof answer?.status === 'number' ? answer.status : 500, payload: answer?.payload ?? null };
    } catch (error) {
      throw serviceError(error, `invoking ${call.methodName} on ${deviceId}`);
    }
  }

  async presence(deviceId: string): Promise<DevicePresence | undefined> {
    try {
      const { responseBody } = await this.registry.get(deviceId);
      return toPresence(responseBody);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw serviceError(error, `reading the connection state of ${deviceId}`);
    }
  }

  async listPresence(): Promise<readonly DevicePresence[]> {
    try {
      const { responseBody } = await this.registry.list();
      return responseBody.map(toPresence);
    } catch (error) {
      throw serviceError(error, 'listing devices');
    }
  }

  /** Closes idle keep-alive sockets (they would hold the process open). */
  close(): void {
    this.agent.destroy();
  }
}

/** The HTTP status the hub answered with, if the error carries one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as SdkError | undefined)?.response?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** An SDK service error as one of ours, keeping the hub's status in `details.status`. */
export function serviceError(error: unknown, what: string): AmoraError {
  if (error instanceof AmoraError) return error;
  const status = statusOf(error);
  const reason = error instanceof Error ? error.message : String(error);
  const options = { cause: error, details: { status } };
  if (status === 401 || status === 403) return new AuthenticationError(`IoT Hub refused ${what}: ${reason}`, options);
  if (status === 404) return new TransportError('not_found', `${what}: not found (${reason})`, options);
  if (status === 412) return new TransportError('conflict', `${what}: the twin changed meanwhile (etag mismatch)`, options);
  if (status === 413) return new TransportError('payload_too_large', `${what}: the hub refused the payload as too large`, options);
  if (status === 400) return new TransportError('invalid_params', `${what}: the hub refused the request: ${reason}`, options);
  if (status === 504 || status === 408) return new TimeoutError(`${what}: ${reason}`, options);
  if (status === 429 || (status !== undefined && status >= 500)) return new TransportError('unavailable', `${what}: ${reason}`, options);
  if (/did not answer in time/.test(reason)) return new TimeoutError(`${what}: ${reason}`, options);
  return new TransportError('unavailable', `${what}: ${reason}`, options);
}

function toServiceTwin(twin: JsonObject): ServiceTwin {
  const properties = isJsonObject(twin['properties']) ? twin['properties'] : {};
  const reportedSection = isJsonObject(properties['reported']) ? properties['reported'] : {};
  const reported = withoutDollarKeys(reportedSection);
  const metadata = reportedSection['$metadata'];
  const updated = isJsonObject(metadata) && typeof metadata['$lastUpdated'] === 'string' ? Date.parse(metadata['$lastUpdated']) : Number.NaN;
  return {
    etag: typeof twin['etag'] === 'string' ? twin['etag'] : '*',
    reported,
    reportedVersion: Number(reportedSection['$version']) || 0,
    ...(Number.isFinite(updated) ? { reportedUpdated: updated } : {}),
  };
}

function toPresence(device: { deviceId: string; connectionState?: string; connectionStateUpdatedTime?: string }): DevicePresence {
  return {
    deviceId: device.deviceId,
    connected: device.connectionState === 'Connected',
    ...(device.connectionStateUpdatedTime ? { changedAt: device.connectionStateUpdatedTime } : {}),
  };
}
