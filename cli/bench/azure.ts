import { startAzureIotHubEmulator } from '../../adapters/azure-iot-hub/emulator/index.js';
import {
  type PluginRegistry,
} from '../../core/index.js';
import { startAgentPair } from './agent-pair.js';
import type { CloudResult } from './scenario.js';
import { probeCommands, probeState, type ProbeOptions } from './transport-probe.js';

/**
 * Issue 4: Azure IoT Hub through the local emulator, over real TLS with the real SDKs. The device
 * (azure-iot-device over MQTT/TLS) and the controller (azure-iothub over HTTPS) are built from one
 * `azure-iot-hub` transport entry, as `amora agent` and `amora ctl` would build them.
 *
 * - command round trip: `invoke()` → a direct method through the hub's REST endpoint → the device
 *   answers over MQTT → the HTTPS response;
 * - reported state: `patch()` → the hub has accepted the twin patch (the emulator's
 *   `reportedPatches$`), and `patch()` → the controller's `state$` shows it, pushed over the
 *   hub's Event Hub-compatible endpoint (AMQP, the controller's rhea receiver) from the routed twin change
 *   event. Without `eventHubConnectionString` the controller would poll twins, and timing it would
 *   measure `refreshIntervalMs` instead.
 */
export async function runAzure(registry: PluginRegistry, probe: ProbeOptions): Promise<CloudResult> {
  const deviceId = `bench-azure-${process.pid}`;
  const hub = await startAzureIotHubEmulator({ port: 0, httpsPort: 0, devices: [deviceId] });
  try {
    const pair = await startAgentPair(registry, {
      deviceId,
      transport: {
        kind: 'azure-iot-hub',
        connectionString: hub.deviceConnectionString(deviceId),
        serviceConnectionString: hub.serviceConnectionString,
        ca: hub.caPem,
        eventHubConnectionString: hub.eventHub!.connectionString,
        // Push mode: polling would only ever re-read the seed.
        refreshIntervalMs: 600_000,
      },
      // The controller's presence view is polled too: the hub knowing the device listens is faster.
      ready: () => hub.devices.whenSubscribed(deviceId, 'methods'),
    });
    try {
      const state = await probeState(pair, {
        ...probe,
        atService: (arrived) => {
          const subscription = hub.devices.reportedPatches$.subscribe((patch) => {
            if (patch.deviceId === deviceId) arrived();
          });
          return () => subscription.unsubscribe();
        },
      });
      return {
        name: 'azure',
        description: 'Azure IoT Hub emulator: device azure-iot-device over MQTT/TLS, controller azure-iothub over HTTPS, state$ pushed over the Event Hub endpoint (AMQP, rhea receiver)',
        samples: probe.samples,
        pacingMs: probe.pacingMs,
        serviceLabel: 'twin patch accepted by the hub (emulator hook)',
        measures: { ...state, commandRoundTrip: await probeCommands(pair, probe) },
      };
    } finally {
      await pair.stop();
    }
  } finally {
    await hub.close();
  }
}
