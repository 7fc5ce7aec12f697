import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { closeServer, listenOn } from '../../../core/internal.js';
import { formatConnectionString } from '../connection-string.js';
import {
  certificatePaths,
  createDeviceCertificate,
  createEmulatorCertificates,
  loadOrCreateCertificates,
  type EmulatorCertificates,
  type PemPair,
} from './certificates.js';
import { DeviceEndpoint, type ConnectionEvent, type ReportedPatch, type TelemetryMessage } from './device-endpoint.js';
import { EventHubEndpoint, type EventHubEndpointInfo, type EventHubOptions } from './event-hub/event-hub-endpoint.js';
import { HubRegistry, type CreateDeviceOptions, type DeviceAuthentication, type DeviceRecord } from './hub-registry.js';
import { ServiceEndpoint } from './service-endpoint.js';

/**
 * A local Azure IoT Hub for development and tests: MQTT over TLS for devices, HTTPS for the
 * service REST API and MQTT over WebSocket (`/$iothub/websocket`, on the HTTPS port, as the real
 * hub serves both on 443), and the built-in Event Hub-compatible endpoint over AMQP (see
 * `event-hub/`). It makes its own CA and server certificate (or loads them from `certDir`), keeps
 * devices and twins in memory (or in `stateFile`), and prints connection strings whose HostName
 * carries the port, which the device SDK accepts. The service SDK (`azure-iothub`) does not: it
 * needs HTTPS on 443 and a HostName without a port, which the service connection string then has.
 */
export interface AzureIotHubEmulatorOptions {
  /** Address to bind. Default 127.0.0.1. */
  readonly bind?: string;
  /** Host name written into connection strings; the server certificate covers it. Default `localhost`. */
  readonly hostName?: string;
  /** MQTT over TLS port; 0 picks a free one. Default 8883. */
  readonly port?: number;
  /** HTTPS (REST + MQTT over WebSocket) port; 0 picks a free one. Default 8443. */
  readonly httpsPort?: number;
  /** Devices to register at start (kept if the state file already has them). */
  readonly devices?: readonly (string | ({ readonly deviceId: string } & CreateDeviceOptions))[];
  /** JSON file keeping devices, keys, policies and twins across restarts. */
  readonly stateFile?: string;
  /** Directory for ca.pem, ca-key.pem, server.pem, server-key.pem: created on first start, reused later. */
  readonly certDir?: string;
  /** Certificates to use instead of generating them (e.g. to restart on the same CA). */
  readonly certificates?: EmulatorCertificates;
  /** The Event Hub-compatible endpoint (ports default to 0, any free one); `false` serves none. */
  readonly eventHub?: EventHubOptions | false;
}

export interface EmulatedDevice {
  readonly deviceId: string;
  readonly authenticationType: DeviceAuthentication['type'];
  readonly primaryKey?: string;
}

export interface AzureIotHubEmulator {
  /** The host name used in connection strings. */
  readonly host: string;
  readonly mqttPort: number;
  /** MQTT over WebSocket shares the HTTPS port. */
  readonly wsPort: number;
  readonly httpsPort: number;
  /** PEM of the CA that signed the server certificate: what clients must trust. */
  readonly caPem: string;
  /** Path of ca.pem when `certDir` was given. */
  readonly caPath?: string;
  /** `HostName=host:mqttPort;DeviceId=…;SharedAccessKey=…` (or `x509=true`); `websocket` points it at the HTTPS port. */
  deviceConnectionString(deviceId: string, options?: { readonly websocket?: boolean }): string;
  /** The `iothubowner` policy connection string, pointing at the HTTPS port (no port in HostName when it is 443). */
  readonly serviceConnectionString: string;
  /** The Event Hub-compatible endpoint, unless `eventHub: false`. */
  readonly eventHub?: EventHubEndpointInfo;
  /**
   * A client certificate for an X.509 CA-signed device (`authentication.type: certificateAuthority`):
   * CN = device id, signed by the emulator's CA (the one CA this hub has "verified").
   */
  issueDeviceCertificate(deviceId: string): Promise<PemPair & { readonly thumbprint: string }>;
  readonly registry: {
    createDevice(deviceId: string, options?: CreateDeviceOptions): EmulatedDevice;
    getDevice(deviceId: string): EmulatedDevice | undefined;
    listDevices(): readonly EmulatedDevice[];
    deleteDevice(deviceId: string): void;
    setStatus(deviceId: string, status: 'enabled' | 'disabled'): void;
  };
  /** Device-side controls and observations (telemetry capture, forced disconnects, throttling). */
  readonly devices: Pick<DeviceEndpoint, 'telemetry$' | 'reportedPatches$' | 'connections$' | 'telemetry' | 'isConnected' | 'whenSubscribed' | 'disconnect' | 'throttleReportedPatches' | 'invokeRawMethod'>;
  close(): Promise<void>;
}

export type { ConnectionEvent, ReportedPatch, TelemetryMessage };

/** Starts the emulator; resolves once both endpoints listen. */
export async function startAzureIotHubEmulator(options: AzureIotHubEmulatorOptions = {}): Promise<AzureIotHubEmulator> {
  const bind = options.bind ?? '127.0.0.1';
  const hostName = options.hostName ?? 'localhost';
  const certificates =
    options.certificates ??
    (options.certDir ? await loadOrCreateCertificates(options.certDir, [hostName]) : await createEmulatorCertificates([hostName]));

  const registry = new HubRegistry(options.stateFile);
  await registry.load();
  for (const entry of options.devices ?? []) {
    const { deviceId, ...create } = typeof entry === 'string' ? { deviceId: entry } : entry;
    registry.ensureDevice(deviceId, create);
  }

  let ports = { mqtt: 0, https: 0 };
  const hostNames = (): readonly string[] => {
    const names = new Set<string>();
    for (const name of [hostName, 'localhost', '127.0.0.1']) {
      const lower = name.toLowerCase();
      names.add(lower);
      names.add(`${lower}:${ports.mqtt}`);
      names.add(`${lower}:${ports.https}`);
    }
    return [...names];
  };

  const devices = await DeviceEndpoint.create({ registry, hostNames });
  const service = new ServiceEndpoint({ registry, devices, hostNames });
  // Client certificates are requested but not refused by TLS: self-signed X.509 devices are
  // matched by thumbprint against the registry, as IoT Hub does; CA-signed ones must chain to the
  // emulator's CA (TLS marks the socket authorized) and name the device.
  const tlsOptions = {
    key: certificates.server.keyPem,
    cert: certificates.server.certPem,
    ca: [certificates.ca.certPem],
    requestCert: true,
    rejectUnauthorized: false,
  };

  const mqttServer: TlsServer = createTlsServer(tlsOptions, (socket: TLSSocket) => {
    socket.setNoDelay(true);
    devices.handle(socket);
  });
  const webSockets = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
  });
  const httpsServer: HttpsServer = createHttpsServer(tlsOptions, (request, response) => {
    void service.handle(request, response);
  });
  httpsServer.on('secureConnection', (socket: TLSSocket) => socket.setNoDelay(true));
  httpsServer.on('upgrade', (request, socket: Socket, head) => {
    if (new URL(request.url ?? '/', 'https://emulator').pathname !== '/$iothub/websocket') {
      socket.destroy();
      return;
    }
    webSockets.handleUpgrade(request, socket, head, (webSocket) => {
      devices.handle(createWebSocketStream(webSocket), request);
    });
  });

  let eventHub: EventHubEndpoint | undefined;
  try {
    await listenOn(mqttServer, options.port ?? 8883, bind);
    await listenOn(httpsServer, options.httpsPort ?? 8443, bind);
    ports = { mqtt: (mqttServer.address() as AddressInfo).port, https: (httpsServer.address() as AddressInfo).port };
    if (options.eventHub !== false) {
      eventHub = await EventHubEndpoint.start(
        { bind, hostName, registry, devices, tls: { key: certificates.server.keyPem, cert: certificates.server.certPem } },
        options.eventHub ?? {},
      );
    }
  } catch (error) {
    // A port in use must not leave the other listeners open.
    await devices.close();
    await Promise.all([mqttServer, httpsServer].filter((server) => server.listening).map(closeServer));
    throw error;
  }

  const policy = registry.policy('iothubowner')!;
  let closing: Promise<void> | undefined;
  return {
    host: hostName,
    mqttPort: ports.mqtt,
    wsPort: ports.https,
    httpsPort: ports.https,
    caPem: certificates.ca.certPem,
    ...(options.certDir ? { caPath: certificatePaths(options.certDir).ca } : {}),
    ...(eventHub ? { eventHub } : {}),
    serviceConnectionString: formatConnectionString({
      HostName: ports.https === 443 ? hostName : `${hostName}:${ports.https}`,
      SharedAccessKeyName: policy.keyName,
      SharedAccessKey: policy.primaryKey,
    }),
    deviceConnectionString(deviceId, connectionOptions = {}) {
      const device = registry.requireDevice(deviceId);
      const port = connectionOptions.websocket ? ports.https : ports.mqtt;
      const fields: Record<string, string> = { HostName: `${hostName}:${port}`, DeviceId: deviceId };
      if (device.authentication.type === 'sas') fields['SharedAccessKey'] = device.authentication.primaryKey;
      else fields['x509'] = 'true';
      return formatConnectionString(fields);
    },
    issueDeviceCertificate: (deviceId) => createDeviceCertificate(deviceId, certificates.ca),
    registry: {
      createDevice: (deviceId, createOptions) => toEmulated(registry.createDevice(deviceId, createOptions)),
      getDevice: (deviceId) => {
        const device = registry.getDevice(deviceId);
        return device && toEmulated(device);
      },
      listDevices: () => registry.listDevices().map(toEmulated),
      deleteDevice: (deviceId) => {
        devices.disconnect(deviceId);
        registry.deleteDevice(deviceId);
      },
      setStatus: (deviceId, status) => {
        registry.setStatus(deviceId, status);
        if (status === 'disabled') devices.disconnect(deviceId);
      },
    },
    devices,
    close() {
      closing ??= (async () => {
        await eventHub?.close();
        await devices.close();
        for (const client of webSockets.clients) client.terminate();
        webSockets.close();
        httpsServer.closeAllConnections();
        await Promise.all([closeServer(mqttServer), closeServer(httpsServer)]);
        await registry.flush();
      })();
      return closing;
    },
  };
}

function toEmulated(device: DeviceRecord): EmulatedDevice {
  return device.authentication.type === 'sas'
    ? { deviceId: device.deviceId, authenticationType: 'sas', primaryKey: device.authentication.primaryKey }
    : { deviceId: device.deviceId, authenticationType: device.authentication.type };
}

