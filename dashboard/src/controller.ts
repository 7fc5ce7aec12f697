import { Container } from 'inversify';
import { filter, firstValueFrom } from 'rxjs';
import { MqttControllerTransport, parseMqttOptions } from '../../adapters/mqtt/index.js';
import { TOKENS } from '../../core/index.js';

/** How the page reaches the broker: its WebSocket URL and, when it requires them, credentials. */
export interface BrokerLogin {
  readonly url: string;
  readonly username?: string;
  /** A password, or a JWT when the broker takes tokens as passwords. */
  readonly password?: string;
}

/**
 * Connects the browser-safe MQTT controller (mqtt.js over WebSocket) and resolves once online;
 * rejects with the broker's reason (refused credentials, unreachable) on the first failure.
 */
export async function connectController(login: BrokerLogin, signal: AbortSignal): Promise<MqttControllerTransport> {
  const container = new Container();
  const options = parseMqttOptions({
    url: login.url,
    ...(login.username ? { username: login.username } : {}),
    ...(login.password ? { password: login.password } : {}),
  });
  container.bind(TOKENS.KindOptions).toConstantValue(options);
  container.bind(TOKENS.InstanceId).toConstantValue('dashboard');
  container.bind(MqttControllerTransport).toSelf().inSingletonScope();
  const controller = container.get(MqttControllerTransport);
  await controller.start(signal);
  const status = await firstValueFrom(controller.status$.pipe(filter((s) => s.state === 'online' || s.error !== undefined)));
  if (status.state !== 'online') {
    await controller.stop();
    throw new Error(status.error?.message ?? `cannot connect to ${login.url}`);
  }
  return controller;
}
