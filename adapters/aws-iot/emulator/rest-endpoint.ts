import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import {
  type Logger,
} from '../../../core/index.js';
import { listenOn } from '../../../core/internal.js';
import { isValidShadowName, isValidThingName } from '../shadow-topics.js';
import type { ControlPlaneApi } from './control-plane-api.js';
import { IotApiError } from './control-plane-registry.js';
import type { RequestBudget } from './request-budget.js';
import type { ShadowError } from './shadow-request.js';
import type { ShadowService } from './shadow-service.js';
import type { ShadowAddress } from './shadow-store.js';
import { isSignatureFailure, verifySignature, type AwsCredentials } from './sigv4.js';

/** Largest request body accepted (AWS IoT's MQTT payload limit; shadow bodies are far smaller). */
const BODY_LIMIT_BYTES = 128 * 1024;

export interface RestEndpointOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: { readonly certPem: string; readonly keyPem: string };
  readonly shadows: ShadowService;
  /** The one access key requests must be signed with. */
  readonly credentials: AwsCredentials;
  readonly controlPlane: ControlPlaneApi;
  /** Throttles control-plane requests over this rate; undefined never throttles. */
  readonly controlPlaneBudget?: RequestBudget;
  /** Routes a REST Publish into MQTT. */
  readonly publish: (topic: string, payload: Uint8Array, qos: 0 | 1, retain: boolean) => Promise<void>;
  readonly logger: Logger;
}

/** The restJson1 error names `@aws-sdk/client-iot-data-plane` maps status codes to. */
const ERROR_NAMES: Readonly<Record<number, string>> = {
  400: 'InvalidRequestException',
  401: 'UnauthorizedException',
  403: 'ForbiddenException',
  404: 'ResourceNotFoundException',
  405: 'MethodNotAllowedException',
  409: 'ConflictException',
  413: 'RequestEntityTooLargeException',
  429: 'ThrottlingException',
  500: 'InternalFailureException',
};

/**
 * AWS IoT's REST APIs over HTTPS on one port, told apart by the SigV4 signing name, as the SDK
 * clients call them with an `endpoint` override: the data plane (`iotdata`,
 * `@aws-sdk/client-iot-data-plane`: GetThingShadow, UpdateThingShadow, DeleteThingShadow,
 * ListNamedShadowsForThing, Publish) and the control plane (`iot`, `@aws-sdk/client-iot`, see
 * ControlPlaneApi). Every request's signature is checked against the emulator's one access key:
 * a wrong key or secret gets 403 as on AWS (the emulator has no IAM beyond that).
 */
export class RestEndpoint {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly options: RestEndpointOptions) {
    this.server = createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, (request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        options.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'REST request failed');
        if (!response.headersSent) this.fail(response, { code: 500, message: 'Internal failure' });
        else response.destroy();
      });
    });
    this.server.on('connection', (socket: Socket) => socket.setNoDelay(true));
    this.server.on('secureConnection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  start(): Promise<number> {
    return listenOn(this.server, this.options.port, this.options.host);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'https://emulator.invalid');
    const method = request.method ?? 'GET';
    const body = await readBody(request);
    if (body === undefined) return this.fail(response, { code: 413, message: 'The payload exceeds the maximum size allowed' });
    const scope = verifySignature({ method, url: request.url ?? '/', headers: request.headers, body }, this.options.credentials);
    if (isSignatureFailure(scope)) return this.failAs(response, 403, scope.errorType, scope.message);
    if (scope.service === 'iot') return this.controlPlane(request, response, url, body);
    // The JS SDK v3 signs the data plane as "iotdata"; AWS IoT's guide names "iotdevicegateway".
    if (scope.service !== 'iotdata' && scope.service !== 'iotdevicegateway') {
      return this.failAs(response, 403, 'InvalidSignatureException', `Credential should be scoped to a valid service: iot, iotdata (not ${scope.service})`);
    }

    const shadowPath = /^\/things\/([^/]+)\/shadow$/.exec(url.pathname);
    if (shadowPath) {
      const address = addressFrom(decodeURIComponent(shadowPath[1]!), url.searchParams.get('name'));
      if (typeof address === 'string') return this.fail(response, { code: 400, message: address });
      if (method === 'GET') return this.reply(response, this.options.shadows.get(address));
      if (method === 'POST') return this.reply(response, this.options.shadows.update(address, body));
      if (method === 'DELETE') return this.reply(response, this.options.shadows.delete(address));
      return this.fail(response, { code: 405, message: `${method} is not allowed here` });
    }

    const listPath = /^\/api\/things\/shadow\/ListNamedShadowsForThing\/([^/]+)$/.exec(url.pathname);
    if (listPath && method === 'GET') {
      const thingName = decodeURIComponent(listPath[1]!);
      if (!isValidThingName(thingName)) return this.fail(response, { code: 400, message: `invalid thing name "${thingName}"` });
      return this.list(response, thingName, url.searchParams);
    }

    const topicPath = /^\/topics\/(.+)$/.exec(url.pathname);
    if (topicPath && method === 'POST') {
      const topic = decodeURIComponent(topicPath[1]!);
      const qos = Number(url.searchParams.get('qos') ?? '0');
      if (qos !== 0 && qos !== 1) return this.fail(response, { code: 400, message: 'qos must be 0 or 1' });
      if (topic.startsWith('$') || /[+#]/.test(topic)) return this.fail(response, { code: 403, message: `cannot publish to ${topic}` });
      await this.options.publish(topic, body, qos, url.searchParams.get('retain') === 'true');
      return this.json(response, 200, { message: 'OK', traceId: crypto.randomUUID() });
    }

    return this.fail(response, { code: 404, message: `no operation at ${method} ${url.pathname}` });
  }

  private async controlPlane(request: IncomingMessage, response: ServerResponse, url: URL, body: Uint8Array): Promise<void> {
    if (this.options.controlPlaneBudget?.take() === false) return this.failAs(response, 400, 'ThrottlingException', 'Rate exceeded');
    let answer;
    try {
      const segments = url.pathname.split('/').filter(Boolean).map((segment) => decodeURIComponent(segment));
      answer = await this.options.controlPlane.handle({ method: request.method ?? 'GET', segments, query: url.searchParams, headers: request.headers, body });
    } catch (error) {
      if (!(error instanceof IotApiError)) throw error;
      return this.failAs(response, error.status, error.errorType, error.message, error.fields);
    }
    if (answer === undefined) {
      response.writeHead(200, { 'content-length': 0, 'x-amzn-requestid': crypto.randomUUID() });
      response.end();
    } else {
      this.json(response, 200, answer);
    }
  }

  private list(response: ServerResponse, thingName: string, params: URLSearchParams): void {
    const names = this.options.shadows.listNamedShadows(thingName);
    const pageSize = Math.min(Math.max(Number(params.get('pageSize') ?? '25') || 25, 1), 100);
    const start = Number(params.get('nextToken') ?? '0') || 0;
    const page = names.slice(start, start + pageSize);
    const next = start + pageSize < names.length ? { nextToken: String(start + pageSize) } : {};
    this.json(response, 200, { results: page, timestamp: Math.floor(Date.now() / 1000), ...next });
  }

  private reply(response: ServerResponse, outcome: { ok: true; accepted: object } | { ok: false; error: ShadowError }): void {
    if (outcome.ok) this.json(response, 200, outcome.accepted);
    else this.fail(response, outcome.error);
  }

  private fail(response: ServerResponse, error: ShadowError): void {
    this.failAs(response, error.code, ERROR_NAMES[error.code] ?? 'InternalFailureException', error.message);
  }

  private failAs(response: ServerResponse, status: number, errorType: string, message: string, fields: object = {}): void {
    response.setHeader('x-amzn-ErrorType', errorType);
    this.json(response, status, { message, ...fields });
  }

  private json(response: ServerResponse, status: number, body: object): void {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': crypto.randomUUID(),
    });
    response.end(text);
  }
}

function addressFrom(thingName: string, shadowName: string | null): ShadowAddress | string {
  if (!isValidThingName(thingName)) return `invalid thing name "${thingName}"`;
  if (shadowName === null || shadowName === '') return { thingName };
  if (!isValidShadowName(shadowName)) return `invalid shadow name "${shadowName}"`;
  return { thingName, shadowName };
}

async function readBody(request: IncomingMessage): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
