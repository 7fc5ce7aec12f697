import {
  AuthenticationError,
  TransportError,
  type AmoraError,
} from '../../core/index.js';
import { CONNECT_HINTS } from './aws-link.js';

/**
 * aws-crt rejects its promises with plain strings ("Failed to connect: aws-c-io: …"), sometimes
 * with a CrtError; this turns either into our error family. Only a refusal the broker states
 * plainly counts as an authentication failure (our retry policy never retries those); a socket
 * closed during the TLS handshake, which is how an unknown certificate usually shows, stays
 * retryable, because a flaky network looks the same.
 */
export function toCrtError(reason: unknown, what: string): AmoraError {
  const text = reason instanceof Error ? reason.message : String(reason);
  const hint = hintFor(text);
  const message = `${what}: ${text}${hint ? ` (${hint})` : ''}`;
  if (/Server rejected connection|AWS_ERROR_MQTT_CONNECTION_REFUSED|NOT_AUTHORIZED|BAD_USERNAME_OR_PASSWORD/i.test(text)) {
    return new AuthenticationError(message, { cause: reason });
  }
  return new TransportError('transport_failed', message, { cause: reason });
}

function hintFor(text: string): string | undefined {
  if (/AWS_IO_SOCKET_CLOSED|AWS_ERROR_MQTT_UNEXPECTED_HANGUP/.test(text)) return CONNECT_HINTS.closed;
  if (/AWS_ERROR_MQTT_PROTOCOL_ERROR/.test(text)) return CONNECT_HINTS.refused;
  if (/TLS|AWS_IO_FILE|PEM/.test(text)) return CONNECT_HINTS.files;
  return undefined;
}
