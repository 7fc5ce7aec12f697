import {
  AmoraError,
  AuthenticationError,
  TransportError,
} from '../../core/index.js';

/**
 * Turns errors of the Azure SDKs into our family. The SDKs are not consistent, so classification
 * goes by name and message as well as type:
 *
 * - azure-iot-mqtt-base translates any error with a `code` into NotConnectedError, and mqtt.js
 *   gives CONNACK refusals a numeric `code`: a refused SAS token arrives as
 *   NotConnectedError("Connection refused: Not authorized"), not UnauthorizedError.
 * - On the very first connection azure-iot-device-mqtt wraps every failure, even ECONNREFUSED,
 *   in a plain Error("Failure on first connection (Not authorized): …").
 * So "not authorized / bad username or password / identifier rejected" in the inner message is
 * what tells refused credentials (never retried) from network trouble (retried).
 */
const AUTH_PATTERN = /connection refused: (not authorized|bad username or password|identifier rejected)/i;
const THROTTLE_PATTERN = /throttl|too many requests|\b429\b/i;

/**
 * True when the hub refused the credentials; retrying with them cannot help. Only a refusal the
 * hub states counts: a CONNACK "not authorized / bad username or password / identifier rejected"
 * or an HTTP 401/403. The SDK's error type does not: it names every failure of a first
 * connection UnauthorizedError, a refused TCP connection (hub not reachable yet) included.
 */
export function isAuthFailure(error: unknown): boolean {
  if (error instanceof AmoraError) return error.code === 'authentication_failed';
  if (AUTH_PATTERN.test(messageOf(error))) return true;
  const status = httpStatusOf(error);
  return status === 401 || status === 403;
}

function httpStatusOf(error: unknown): number | undefined {
  const candidate = error as { statusCode?: unknown; response?: { statusCode?: unknown } } | undefined;
  const status = candidate?.response?.statusCode ?? candidate?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** True when the hub said it is throttling us. */
export function isThrottledError(error: unknown): boolean {
  if (error instanceof AmoraError) return (error.details as { status?: number } | undefined)?.status === 429;
  return (error as { name?: string } | undefined)?.name === 'ThrottlingError' || THROTTLE_PATTERN.test(messageOf(error));
}

/** A connection failure as one of ours; `where` names the hub (never a key or token). */
export function toConnectionError(error: unknown, where: string, lost: boolean): AmoraError {
  if (error instanceof AmoraError) return error;
  const inner = messageOf(error)
    .replace(/^mqtt\.js returned /, '')
    .replace(/^Failure on first connection \(Not authorized\): /, '');
  if (isAuthFailure(error)) {
    return new AuthenticationError(`IoT Hub ${where} refused the device credentials: ${inner}`, { cause: error });
  }
  const prefix = lost ? `connection to IoT Hub ${where} lost` : `cannot connect to IoT Hub ${where}`;
  return new TransportError('unavailable', `${prefix}: ${inner || 'connection closed'}`, {
    cause: error,
    ...(isThrottledError(error) ? { details: { status: 429 } } : {}),
  });
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return error === undefined || error === null ? '' : String(error);
}
