/**
 * Browser entry of the browser end-to-end spec (test/integration/browser-controller.int.spec.ts):
 * a tiny client app that watches and drives one device over mqtt.js on WebSocket. It imports only
 * the browser-safe surface (core/index.ts and adapters/mqtt/index.ts, plus their own rxjs and
 * inversify), so bundling it for the browser proves that surface has no Node-only code.
 *
 * Query string: `?broker=ws://127.0.0.1:PORT&device=ID`.
 */
import { Container } from 'inversify';
import { filter, firstValueFrom } from 'rxjs';
import * as core from '../../core/index.js';
import { MqttControllerTransport, parseMqttOptions } from '../../adapters/mqtt/index.js';
import type { ControllerPageApi } from './controller-page-api.js';

const query = new URL(window.location.href).searchParams;
const broker = query.get('broker') ?? '';
const deviceId = query.get('device') ?? '';

// Resolved through inversify as buildController does, so the @inject metadata of the bundled
// class (legacy decorators, transformed by the bundler) is exercised in the browser too.
const container = new Container();
// aedes speaks MQTT 3.1.1 only; asking for it directly skips the 5 → 3.1.1 fallback round.
container.bind(core.TOKENS.KindOptions).toConstantValue(parseMqttOptions({ url: broker, protocolVersion: 4 }));
container.bind(core.TOKENS.InstanceId).toConstantValue('browser');
container.bind(core.TOKENS.ControllerTransport).to(MqttControllerTransport).inSingletonScope();
const controller = container.get<core.ControllerTransport>(core.TOKENS.ControllerTransport);

const lifetime = new AbortController();
/** Online, or the first connection error (a refused connection says so instead of waiting on). */
async function connect(): Promise<void> {
  await controller.start(lifetime.signal);
  const status = await firstValueFrom(controller.status$.pipe(filter((s) => s.state === 'online' || s.error !== undefined)));
  if (status.state !== 'online') throw new Error(`controller did not connect to ${broker}: ${status.error?.message ?? status.state}`);
}
const online = connect();
// Observed here so a failure is not an unhandled rejection before the spec asks for it.
online.catch(() => undefined);

let latest: core.DeviceStateMessage | undefined;
const state$ = controller.state$(deviceId);
// Kept subscribed for the page's lifetime: the shared stream stays live and replays the latest.
state$.subscribe((message) => (latest = message));

const api: ControllerPageApi = {
  coreExports: Object.keys(core).toSorted(),
  connected: () => online,
  invoke: (command, params) => controller.invoke(deviceId, command, params),
  latestState: () => latest,
  waitForState: (predicate) => firstValueFrom(state$.pipe(filter(predicate))),
  close: async () => {
    lifetime.abort();
    await controller.stop();
  },
};
window.amora = api;
