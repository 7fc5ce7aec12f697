import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  silentLogger,
  type Logger,
} from '../../../core/index.js';
import { ControlPlaneApi } from './control-plane-api.js';
import { ControlPlaneRegistry, DEFAULT_ACCOUNT_ID, DEFAULT_REGION } from './control-plane-registry.js';
import { MqttEndpoint } from './mqtt-endpoint.js';
import { RequestBudget } from './request-budget.js';
import { RestEndpoint } from './rest-endpoint.js';
import { ShadowService } from './shadow-service.js';
import { ShadowStore, type ShadowAddress, type UpdateOutcome } from './shadow-store.js';
import type { AwsCredentials } from './sigv4.js';
import { ThingRegistry, type ThingCredentials } from './thing-registry.js';

/** The access key REST clients sign with unless the emulator is given another. */
export const EMULATOR_CREDENTIALS: AwsCredentials = { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' };

export interface AwsIotEmulatorOptions {
  /** Interface to bind. Default 127.0.0.1. */
  readonly host?: string;
  /** MQTT over mutual TLS. Default 0 (any free port). */
  readonly mqttPort?: number;
  /** HTTPS REST, data plane and control plane. Default 0 (any free port). */
  readonly httpsPort?: number;
  /** The one access key REST requests must be signed with. Default EMULATOR_CREDENTIALS. */
  readonly credentials?: AwsCredentials;
  /** Region and account in the ARNs the control plane hands out. Default us-east-1, 123456789012. */
  readonly region?: string;
  readonly accountId?: string;
  /**
   * Throttles the control plane like AWS's per-account API limits, with one bucket for every
   * call: over `perSecond` (after a `burst`, default one second's worth) a call gets 400
   * ThrottlingException. Default: no throttling.
   */
  readonly controlPlaneRate?: { readonly perSecond: number; readonly burst?: number };
  /** Where the CA, server and device certificates live; default a new temporary directory. */
  readonly certDir?: string;
  /** Things to register (with certificates) at start. */
  readonly things?: readonly string[];
  /** Names the server certificate is valid for; devices must use one as their endpoint. */
  readonly hostNames?: readonly string[];
  readonly logger?: Logger;
}

/** A running emulator. */
export interface AwsIotEmulator {
  /** The host name devices connect to (IOT_ENDPOINT); the server certificate is issued for it. */
  readonly endpoint: string;
  readonly mqttPort: number;
  readonly httpsPort: number;
  /** `https://{endpoint}:{httpsPort}`, the `endpoint` of both `@aws-sdk/client-iot-data-plane` and `@aws-sdk/client-iot`. */
  readonly httpsEndpoint: string;
  /** The access key REST clients must sign with (a wrong one gets 403). */
  readonly credentials: AwsCredentials;
  /** The region in the control plane's ARNs. */
  readonly region: string;
  /** The root CA devices and REST clients trust (IOT_ROOT_CA_PATH). */
  readonly caPath: string;
  readonly caPem: string;
  readonly certDir: string;
  /**
   * Registers a thing with a device certificate (reused when it already has one), kept in
   * certDir; that certificate may do everything over MQTT without a policy.
   */
  createThing(thingName: string): Promise<ThingCredentials>;
  /** Deregisters a thing: its certificate is refused from now on. */
  deleteThing(thingName: string): Promise<void>;
  thingNames(): string[];
  /** Marks a thing's certificate ACTIVE or INACTIVE; connections with an inactive one are refused. */
  setCertificateActive(thingName: string, active: boolean): void;
  /** Cuts a client's connection without a goodbye, as a network failure would; false if not connected. */
  dropClient(clientId: string): boolean;
  /** Client ids connected now. */
  clientIds(): string[];
  /**
   * Runs `hook` before each shadow update (MQTT or REST) until replaced; undefined removes it.
   * A hook may update the shadow itself (e.g. to stage a concurrent writer); that inner update
   * does not run the hook again.
   */
  setBeforeShadowUpdate(hook: ((address: ShadowAddress) => void) | undefined): void;
  /** Updates a shadow as a service-side writer would (same notifications as REST UpdateThingShadow). */
  updateShadow(address: ShadowAddress, document: object): UpdateOutcome;
  /** Publishes as the service would (like the REST Publish API). */
  publish(topic: string, payload: string | Uint8Array, qos?: 0 | 1, retain?: boolean): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a local AWS IoT Core: MQTT over mutual TLS with the Device Shadow service, presence
 * events and policy checks, and the data-plane and control-plane REST APIs over HTTPS, sharing
 * one shadow store and one registry of things, certificates and policies.
 */
export async function startAwsIotEmulator(options: AwsIotEmulatorOptions = {}): Promise<AwsIotEmulator> {
  const logger = options.logger ?? silentLogger;
  const host = options.host ?? '127.0.0.1';
  const hostNames = options.hostNames ?? ['localhost', '127.0.0.1', '::1'];
  const endpoint = hostNames[0] ?? 'localhost';
  const certDir = options.certDir ?? (await mkdtemp(join(tmpdir(), 'amora-aws-emulator-')));
  const credentials = options.credentials ?? EMULATOR_CREDENTIALS;
  const region = options.region ?? DEFAULT_REGION;
  const registry = await ThingRegistry.open(certDir, new ControlPlaneRegistry(region, options.accountId ?? DEFAULT_ACCOUNT_ID));
  for (const thing of options.things ?? []) await registry.createThing(thing);
  const server = await registry.serverCertificate(hostNames);

  // The MQTT endpoint is created below; the service publishes through it once it exists.
  let mqtt: MqttEndpoint | undefined;
  const shadows = new ShadowService(new ShadowStore(), (topic, payload) => {
    mqtt?.publish(topic, payload).catch((error: unknown) => logger.warn({ topic, err: String(error) }, 'shadow notification lost'));
  });
  mqtt = new MqttEndpoint({
    host,
    port: options.mqttPort ?? 0,
    tls: { certPem: server.certPem, keyPem: server.keyPem, caPem: registry.caCertPem },
    registry,
    shadows,
    logger,
  });
  const mqttEndpoint = mqtt;
  const rest = new RestEndpoint({
    host,
    port: options.httpsPort ?? 0,
    tls: { certPem: server.certPem, keyPem: server.keyPem },
    shadows,
    credentials,
    controlPlane: new ControlPlaneApi(registry, (clientId) => mqttEndpoint.connectivity(clientId), endpoint),
    ...(options.controlPlaneRate ? { controlPlaneBudget: new RequestBudget(options.controlPlaneRate.perSecond, options.controlPlaneRate.burst) } : {}),
    publish: (topic, payload, qos, retain) => mqttEndpoint.publish(topic, payload, qos, retain),
    logger,
  });

  const mqttPort = await mqttEndpoint.start();
  let httpsPort: number;
  try {
    httpsPort = await rest.start();
  } catch (error) {
    await mqttEndpoint.close();
    throw error;
  }
  logger.info({ endpoint, mqttPort, httpsPort, certDir }, 'AWS IoT emulator listening');

  let closing: Promise<void> | undefined;
  return {
    endpoint,
    mqttPort,
    httpsPort,
    httpsEndpoint: `https://${endpoint}:${httpsPort}`,
    credentials,
    region,
    caPath: registry.caPath,
    caPem: registry.caCertPem,
    certDir,
    createThing: (thingName) => registry.createThing(thingName),
    deleteThing: (thingName) => registry.deleteThing(thingName),
    thingNames: () => registry.thingNames(),
    setCertificateActive: (thingName, active) => registry.setCertificateActive(thingName, active),
    dropClient: (clientId) => mqttEndpoint.dropClient(clientId),
    clientIds: () => mqttEndpoint.clientIds(),
    setBeforeShadowUpdate(hook) {
      shadows.beforeUpdate = hook;
    },
    updateShadow: (address, document) => shadows.update(address, JSON.stringify(document)),
    publish: (topic, payload, qos = 1, retain = false) => mqttEndpoint.publish(topic, payload, qos, retain),
    close() {
      closing ??= Promise.all([rest.close(), mqttEndpoint.close()]).then(async () => {
        await registry.flush();
        // A directory the emulator made for itself holds throwaway keys: nothing else will clean it up.
        if (options.certDir === undefined) await rm(certDir, { recursive: true, force: true });
      });
      return closing;
    },
  };
}
