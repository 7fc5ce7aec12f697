// Test support (Node-only): what the conformance kit needs to run against ws-hub.
import { Container } from 'inversify';
import { Observable, Subject, filter, firstValueFrom } from 'rxjs';
import { WebSocket } from 'ws';
import {
  PluginRegistry,
  TOKENS,
  type CommandResponse,
  type ControllerTransport,
  type DeviceTransport,
} from '../../core/index.js';
import type { TelemetrySubscription, TransportHarness } from '../../test/conformance/index.js';
import type { WsHubDeviceTransport } from './device-transport.js';
import { startWsHub, type WsHubServer } from './hub-server.js';
import type { WsHubOptionsInput } from './options.js';
import wsHubPlugin from './plugin.js';
import { commandBodyOf, hubFrameSchema, parseFrame, type ClientFrame, type HubFrame } from './protocol.js';

export interface WsHubHarnessOptions {
  /** Start the hub with this token and give it to every transport. */
  readonly token?: string;
}

/** Fast reconnects, so the tests about lost connections do not wait for production backoff. */
const TEST_RETRY = { initialMs: 20, maxMs: 250 } as const;

/**
 * A TransportHarness for ws-hub: a real hub on a free port of 127.0.0.1, transports built the way
 * an agent builds them (the plugin registered in a PluginRegistry, each instance in its own child
 * container), and a raw WebSocket client for what the kit checks from the far end.
 */
export function wsHubHarness(options: WsHubHarnessOptions = {}): TransportHarness {
  let hub: WsHubServer | undefined;
  const registry = new PluginRegistry();
  registry.register(wsHubPlugin);

  const running = (): WsHubServer => {
    if (!hub) throw new Error('the ws-hub harness is not set up');
    return hub;
  };
  const build = <T,>(token: symbol, deviceId: string): T => {
    const root = new Container();
    root.bind(TOKENS.DeviceId).toConstantValue(deviceId);
    const kindOptions: WsHubOptionsInput = { url: running().url, retry: TEST_RETRY, ...(options.token ? { token: options.token } : {}) };
    return registry.instantiate<T>(root, 'ws-hub', kindOptions, token, 'ws-hub');
  };
  const raw = (): Promise<RawHubClient> => RawHubClient.connect(running().url, options.token);

  return {
    async setup() {
      hub = await startWsHub({ port: 0, ...(options.token ? { token: options.token } : {}) });
    },
    async teardown() {
      await hub?.close();
      hub = undefined;
    },
    createDeviceTransport: (deviceId) => build<DeviceTransport>(TOKENS.DeviceTransport, deviceId),
    createControllerTransport: () => build<ControllerTransport>(TOKENS.ControllerTransport, 'controller'),
    dropConnection: (device) => (device as WsHubDeviceTransport).interruptConnection(),
    async restartBroker() {
      const { port } = running();
      await running().close();
      hub = await startWsHub({ port, ...(options.token ? { token: options.token } : {}) });
    },

    async subscribeTelemetry(deviceId, kind): Promise<TelemetrySubscription> {
      const client = await raw();
      const batches$ = client.frames$.pipe(
        filter((frame): frame is Extract<HubFrame, { type: 'telemetry' }> => frame.type === 'telemetry' && frame.deviceId === deviceId && frame.kind === kind),
      );
      return { batches$, close: () => client.close() };
    },

    async sendRawCommand(deviceId, payload, commandId): Promise<CommandResponse | undefined> {
      const client = await raw();
      try {
        const answered = commandId === undefined
          ? undefined
          : firstValueFrom(client.frames$.pipe(filter((frame) => frame.type === 'response' && frame.response.command_id === commandId)));
        await client.send({ type: 'command', deviceId, ...commandBodyOf(payload) });
        const frame = await answered;
        return frame?.type === 'response' ? frame.response : undefined;
      } finally {
        await client.close();
      }
    },
  };
}

/** A controller speaking the wire protocol directly, without our transport in between. */
class RawHubClient {
  private readonly frames = new Subject<HubFrame>();
  readonly frames$: Observable<HubFrame> = this.frames.asObservable();

  private constructor(private readonly socket: WebSocket) {}

  /** Connects as a controller; resolves at the hub's welcome, so nothing sent later is missed. */
  static connect(url: string, token: string | undefined): Promise<RawHubClient> {
    const socket = new WebSocket(url);
    const client = new RawHubClient(socket);
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.once('open', () => socket.send(JSON.stringify({ type: 'hello', role: 'controller', ...(token ? { token } : {}) })));
      socket.on('message', (data) => {
        const frame = parseFrame(hubFrameSchema, data.toString());
        if (frame?.type === 'welcome') resolve(client);
        else if (frame) client.frames.next(frame);
      });
    });
  }

  send(frame: ClientFrame): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(JSON.stringify(frame), (error) => (error ? reject(error) : resolve())));
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}
