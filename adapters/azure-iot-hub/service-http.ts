import type { ClientRequest, IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import iothub from 'azure-iothub';
import { Http } from 'azure-iothub/dist/common-http/http.js';
import restApi from 'azure-iothub/dist/common-http/rest_api_client.js';
import { serviceConnectionInfo, splitHostPort } from './connection-string.js';

/** The azure-iothub REST client and its config, typed through the package's public entry only. */
export type HubRestClient = NonNullable<ConstructorParameters<typeof iothub.Registry>[1]>;
export type HubServiceConfig = ConstructorParameters<typeof iothub.Registry>[0];

/** What the unmodified azure-iothub Client and Registry are built from (`new iothub.Registry(config, rest)`). */
export interface HubServiceSeam {
  /** The hub's host name (no secret). */
  readonly hostName: string;
  readonly config: HubServiceConfig;
  readonly rest: HubRestClient;
  /** The keep-alive agent every request of this seam goes through; destroy it when done. */
  readonly agent: Agent;
}

/**
 * The service SDK's config and RestApiClient for a service connection string, through the request
 * builder below, so a `host:port` HostName and a private CA work. The seam owns one keep-alive
 * agent (`agent`): the caller destroys it when done with the clients built on the seam.
 */
export function hubServiceSeam(connectionString: string, options: { readonly userAgent: string; readonly ca?: string | undefined }): HubServiceSeam {
  const info = serviceConnectionInfo(connectionString);
  // A signature object (not a string): RestApiClient re-signs it for an hour on every call.
  const sharedAccessSignature = iothub.SharedAccessSignature.create(info.hostName, info.keyName, info.key, Math.floor(Date.now() / 1000) + 3600);
  const config = { host: info.hostName, sharedAccessSignature };
  const agent = hubHttpsAgent(options.ca);
  return { hostName: info.hostName, config, rest: new restApi.RestApiClient(config, options.userAgent, new HubHttpRequestBuilder(agent)), agent };
}

/**
 * Keep-alive, so consecutive service calls reuse one TLS connection. A given `ca` replaces the
 * system store, as the adapter's `ca` option documents and does for the device (MQTT) and Event
 * Hubs (AMQP) connections, and as `amora migrate`'s Azure `caPem` says: a private hub or the
 * emulator is reached with its own CA only. (AWS adds to the store on purpose: see `awsHttpsAgent`.)
 */
function hubHttpsAgent(ca: string | undefined): Agent {
  return new Agent({ keepAlive: true, ...(ca ? { ca } : {}) });
}

/**
 * The HTTP request builder handed to azure-iothub's RestApiClient (the SDK's documented seam),
 * so the real Client and Registry reach any `host:port` with a given CA:
 *
 * - The SDK passes the HostName as the TLS host verbatim, so `localhost:8443` would be looked up
 *   as a host name; we split off the port.
 * - Client and Registry constructors call `setOptions({http: {agent}})`, which replaces the
 *   options (and with them the CA); ours stay fixed.
 * - RestApiClient calls `request.setTimeout()` but never listens for 'timeout', so a silent
 *   server would hang the call forever; we turn the timeout into an error.
 * - TCP_NODELAY on every socket (small request/response exchanges, see the latency notes).
 *
 * Not exported: its base class lives under the SDK's dist/ (no public entry names it), and the
 * published declarations must not import such a path; `hubServiceSeam` is the way in.
 */
class HubHttpRequestBuilder extends Http {
  constructor(agent: Agent) {
    super();
    // The CA travels in the agent (whose TLS options apply to every socket it opens).
    super.setOptions({ http: { agent } });
  }

  override setOptions(): void {
    // Deliberately ignored: see the class comment.
  }

  override buildRequest(
    method: Parameters<Http['buildRequest']>[0],
    path: string,
    headers: Parameters<Http['buildRequest']>[2],
    host: string | { socketPath: string },
    options: Parameters<Http['buildRequest']>[4],
    done?: Parameters<Http['buildRequest']>[5],
  ): ClientRequest {
    const callback = typeof options === 'function' ? options : done!;
    if (typeof host !== 'string') return super.buildRequest(method, path, headers, host, options, done);
    const target = splitHostPort(host);
    return super.buildRequest(method, path, headers, target.host, { port: target.port ?? 443, request: timedRequest }, callback);
  }
}

function timedRequest(options: RequestOptions | string, callback?: (response: IncomingMessage) => void): ClientRequest {
  const request = httpsRequest(options as RequestOptions, callback);
  request.on('socket', (socket) => socket.setNoDelay(true));
  request.on('timeout', () => request.destroy(new Error('the IoT Hub service did not answer in time')));
  return request;
}
