import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzureIotHubEmulator, type AzureIotHubEmulator } from '../../adapters/azure-iot-hub/emulator/index.js';
import { startAwsIotBenchTarget, type AwsIotBenchTarget } from '../../adapters/aws-iot/emulator/bench-target.js';
import { startAgentPair, type AgentPair } from '../../cli/bench/agent-pair.js';
import { createBuiltinRegistry } from '../../cli/builtins.js';
import { buildController } from '../../core/agent/container.js';
import { parseConfig } from '../../core/config/parse.js';
import type { TelemetryMessage } from '../../core/transport/wire-messages.js';

const SIGNING = {
  kind: 'signing',
  signingKey: { kid: 'cloud-1', key: 'a-cloud-signing-secret-of-32-chars!!' },
  encrypt: { sections: ['playback', 'status'], telemetry: ['status'], key: Buffer.alloc(32, 5).toString('base64') },
};

/**
 * The signing middleware sits above the transports: the same config section signs and verifies
 * over Azure IoT Hub (direct methods, twin) and AWS IoT Core (topics, shadow), through their
 * emulators with the real SDKs.
 */
function signedRoundTrip(name: string, setup: () => Promise<{ transport: Record<string, unknown>; deviceId: string; stop(): Promise<void>; ready?: () => Promise<void> }>): void {
  // oxlint-disable-next-line vitest/valid-title -- one suite per cloud, named by the caller
  describe(name, () => {
    let target: Awaited<ReturnType<typeof setup>>;
    let pair: AgentPair;
    const registry = createBuiltinRegistry();

    beforeAll(async () => {
      target = await setup();
      pair = await startAgentPair(registry, {
        deviceId: target.deviceId,
        transport: target.transport,
        player: { kind: 'virtual' },
        middleware: [SIGNING],
        ...(target.ready ? { ready: target.ready } : {}),
      });
    }, 60_000);

    afterAll(async () => {
      await pair?.stop();
      await target?.stop();
    });

    it('runs a signed command and reads the encrypted section back through the controller', async () => {
      const response = await pair.controller.invoke(target.deviceId, 'loadPlaylist', { playlist: 'Focus' }, { timeoutMs: 20_000 });
      expect(response).toMatchObject({ success: true });
      await expect.poll(async () => (await pair.controller.getState(target.deviceId))?.state['playback'], { timeout: 20_000 }).toMatchObject({ playlist: 'Focus' });
    });

    it('verifies telemetry, the self-contained playerStatus included, and opens its encrypted status', async () => {
      const seen: TelemetryMessage[] = [];
      const watching = pair.controller.telemetry$!(target.deviceId).subscribe((batch) => seen.push(batch));
      const status = { messageType: 'playerStatus', deviceId: target.deviceId, timestamp: '2026-12-06T10:00:00Z', status: { state: 'playing', volume: 30 } };
      try {
        // Telemetry is live: send until the controller's subscription is in place and one arrives.
        await expect
          .poll(
            () => {
              pair.agent.emitTelemetry('playerStatus', status, { immediate: true });
              pair.agent.emitTelemetry('metrics', { cpu: 7 }, { immediate: true });
              return new Set(seen.map((batch) => batch.kind)).size;
            },
            { timeout: 20_000, interval: 250 },
          )
          .toBe(2);
      } finally {
        watching.unsubscribe();
      }
      expect(seen.find((batch) => batch.kind === 'playerStatus')?.records[0]?.data).toEqual(status);
      expect(seen.find((batch) => batch.kind === 'metrics')?.records[0]?.data).toEqual({ cpu: 7 });
    });

    it('refuses a command from a controller without the key', async () => {
      const config = parseConfig({ device: { id: 'plain' }, transports: [target.transport] }, { env: {} });
      const plain = await buildController(config, registry);
      await plain.start(new AbortController().signal);
      try {
        const response = await plain.invoke(target.deviceId, 'play', {}, { timeoutMs: 20_000 });
        expect(response).toMatchObject({ success: false, error: { code: 'unauthorized', message: 'command refused: command is not signed' } });
      } finally {
        await plain.stop();
      }
    });
  });
}

signedRoundTrip('signed messages over Azure IoT Hub', async () => {
  const deviceId = 'signed-azure-1';
  const hub: AzureIotHubEmulator = await startAzureIotHubEmulator({ port: 0, httpsPort: 0, devices: [deviceId] });
  return {
    deviceId,
    transport: {
      kind: 'azure-iot-hub',
      connectionString: hub.deviceConnectionString(deviceId),
      serviceConnectionString: hub.serviceConnectionString,
      eventHubConnectionString: hub.eventHub!.connectionString,
      ca: hub.caPem,
    },
    ready: () => hub.devices.whenSubscribed(deviceId, 'methods'),
    stop: () => hub.close(),
  };
});

signedRoundTrip('signed messages over AWS IoT Core', async () => {
  const deviceId = 'signed-aws-1';
  const emulator: AwsIotBenchTarget = await startAwsIotBenchTarget();
  return { deviceId, transport: await emulator.transportFor(deviceId), stop: () => emulator.stop() };
});
