import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import {
  AuthenticationError,
  TransportError,
  type AmoraError,
} from '../../core/index.js';
import type { AwsIotOptions } from './options.js';

/**
 * The `@aws-sdk/client-iot-data-plane` client of a controller: the account's data endpoint (or
 * the emulator's), SigV4 credentials from the options or the SDK's default chain, and a
 * keep-alive HTTPS agent that also trusts the configured root CA (the emulator's own CA; for AWS,
 * Amazon Root CA 1 is in the system store already).
 */
export function createDataPlaneClient(options: AwsIotOptions, caPem: string | undefined): IoTDataPlaneClient {
  const { controller } = options;
  const region = controller.region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? 'us-east-1';
  return new IoTDataPlaneClient({
    endpoint: controller.httpsEndpoint ?? `https://${options.endpoint}`,
    region,
    ...(controller.credentials ? { credentials: controller.credentials } : {}),
    requestHandler: { httpsAgent: awsHttpsAgent(caPem) },
  });
}

/**
 * The keep-alive HTTPS agent of the AWS REST clients (this data plane, `amora migrate`'s control
 * and data planes). Unlike Azure's `ca` (which replaces the system store), a given CA is added to
 * Node's bundled roots: the AWS setting (`caPath`, AmoraOS `root_ca_path`, `--aws-ca`) is
 * conventionally the one file AWS's device guides hand out (Amazon Root CA 1) or the emulator's
 * CA, while AWS endpoints may present a chain to another Amazon root (Root CA 3 for ECC; AWS
 * advises trusting them all), which a store replaced by that one file would reject.
 */
export function awsHttpsAgent(caPem: string | undefined): Agent {
  return new Agent({ keepAlive: true, ...(caPem ? { ca: [...rootCertificates, caPem] } : {}) });
}

/** The exception name the SDK gives a failed call, if it is one of the service's. */
function exceptionName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

export function isNotFound(error: unknown): boolean {
  return exceptionName(error) === 'ResourceNotFoundException';
}

/** Maps a data-plane failure onto our error family (credentials never appear in messages). */
export function dataPlaneError(error: unknown, what: string): AmoraError {
  const name = exceptionName(error) ?? 'Error';
  const message = `${what}: ${name}${error instanceof Error && error.message ? `: ${error.message}` : ''}`;
  switch (name) {
    case 'UnauthorizedException':
    case 'ForbiddenException':
    case 'CredentialsProviderError':
      return new AuthenticationError(message, { cause: error });
    case 'ResourceNotFoundException':
      return new TransportError('not_found', message, { cause: error });
    case 'ConflictException':
      return new TransportError('conflict', message, { cause: error });
    case 'RequestEntityTooLargeException':
      return new TransportError('payload_too_large', message, { cause: error });
    case 'InvalidRequestException':
      return new TransportError('invalid_params', message, { cause: error });
    case 'ThrottlingException':
      return new TransportError('busy', message, { cause: error });
    default:
      return new TransportError('transport_failed', message, { cause: error });
  }
}
