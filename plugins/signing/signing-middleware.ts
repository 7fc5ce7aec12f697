import { inject, injectable } from 'inversify';
import {
  isJsonObject,
  MiddlewareRefusal,
  TOKENS,
  type Clock,
  type CommandEnvelope,
  type CommandResponse,
  type JsonObject,
  type JsonValue,
  type MessageMiddleware,
} from '../../core/index.js';
import { isDeviceMessage } from '../../core/internal.js';
import { signDetached, verifyDetached } from './detached-jws.js';
import { aesKey, decodeAesKey, loadSigningKey, loadVerificationKey, type LoadedKey } from './keys.js';
import type { SigningOptions } from './options.js';
import { ReplayGuard } from './replay-guard.js';
import { SectionCipher } from './section-cipher.js';

/** Where a signature travels: a top-level key of the signed object (params, state, response, ...). */
export const SIGNATURE_KEY = 'amora_sig';

/**
 * Signs and verifies messages with detached JWS (jose), and encrypts chosen state sections. The
 * device signs its state, responses and telemetry and verifies commands (expiry, clock skew,
 * replay) and desired state; the controller signs commands and desired state and verifies states,
 * responses and telemetry. What is signed binds the device id and the message kind, so a signature cannot
 * be moved to another device or another kind of message.
 */
@injectable()
export class SigningMiddleware implements MessageMiddleware {
  private keys: Promise<{ signing: LoadedKey; verification: Map<string, LoadedKey>; cipher?: SectionCipher; telemetryCipher?: SectionCipher }> | undefined;
  private readonly replays = new ReplayGuard();

  constructor(
    @inject(TOKENS.KindOptions) private readonly options: SigningOptions,
    @inject(TOKENS.InstanceId) readonly name: string,
    @inject(TOKENS.Clock) private readonly clock: Clock,
  ) {}

  async sealState(deviceId: string, state: JsonObject): Promise<JsonObject> {
    const { cipher } = await this.ready();
    const sealed = cipher ? await cipher.encrypt(state) : state;
    return this.sign(sealed, { t: 'state', dev: deviceId, body: sealed });
  }

  async sealResponse(deviceId: string, response: CommandResponse): Promise<CommandResponse> {
    const body = response as unknown as JsonObject;
    return (await this.sign(body, { t: 'response', dev: deviceId, body })) as unknown as CommandResponse;
  }

  async sealTelemetry(deviceId: string, kind: string, data: JsonValue, timestamp: number): Promise<JsonValue> {
    // Only object data can carry its signature beside it; other values go as they are (and a
    // controller that requires signatures refuses them).
    if (!isJsonObject(data)) return data;
    const { telemetryCipher } = await this.ready();
    const sealed = telemetryCipher ? await telemetryCipher.encrypt(data) : data;
    return this.sign(sealed, telemetryContent(deviceId, kind, sealed, timestamp));
  }

  async openCommand(command: CommandEnvelope): Promise<JsonObject> {
    const { signature, body } = split(command.params);
    if (signature === undefined) return this.unsigned('command', body);
    const header = await this.verify(signature, commandContent(command, body));
    const now = this.clock.now();
    if (typeof header.exp !== 'number') throw new MiddlewareRefusal('signature has no expiry');
    if (header.exp * 1000 < now - this.options.maxSkewMs) throw new MiddlewareRefusal('command expired');
    if (!this.replays.admit(signature, header.exp * 1000 + this.options.maxSkewMs, now)) throw new MiddlewareRefusal('command replayed');
    return body;
  }

  async openDesired(deviceId: string, patch: JsonObject): Promise<JsonObject> {
    const { signature, body } = split(patch);
    if (signature === undefined) return this.unsigned('desired state', body);
    await this.verify(signature, { t: 'desired', dev: deviceId, body });
    return body;
  }

  async sealCommand(command: CommandEnvelope): Promise<JsonObject> {
    const now = this.clock.now();
    const exp = Math.ceil((now + this.options.commandTtlMs) / 1000);
    return this.sign(command.params, commandContent(command, command.params), exp);
  }

  async sealDesired(deviceId: string, patch: JsonObject): Promise<JsonObject> {
    return this.sign(patch, { t: 'desired', dev: deviceId, body: patch });
  }

  async openState(deviceId: string, state: JsonObject): Promise<JsonObject> {
    const { signature, body } = split(state);
    const opened = signature === undefined ? this.unsigned('state', body) : (await this.verify(signature, { t: 'state', dev: deviceId, body }), body);
    const { cipher } = await this.ready();
    return cipher ? cipher.decrypt(opened) : opened;
  }

  async openResponse(deviceId: string, response: CommandResponse): Promise<CommandResponse> {
    const { signature, body } = split(response as unknown as JsonObject);
    if (signature === undefined) return this.unsigned('response', body) as unknown as CommandResponse;
    await this.verify(signature, { t: 'response', dev: deviceId, body });
    return body as unknown as CommandResponse;
  }

  async openTelemetry(deviceId: string, kind: string, data: JsonValue, timestamp: number): Promise<JsonValue> {
    if (!isJsonObject(data)) {
      if (this.options.require) throw new MiddlewareRefusal('telemetry is not signed (only object data can carry a signature)');
      return data;
    }
    const { signature, body } = split(data);
    if (signature === undefined) this.unsigned('telemetry', body);
    else await this.verify(signature, telemetryContent(deviceId, kind, body, timestamp));
    const { cipher } = await this.ready();
    return cipher ? cipher.decrypt(body) : body;
  }

  private async sign(target: JsonObject, content: JsonObject, exp?: number): Promise<JsonObject> {
    const { signing } = await this.ready();
    const iat = Math.floor(this.clock.now() / 1000);
    const signature = await signDetached(content, signing, { iat, ...(exp === undefined ? {} : { exp }) });
    return { ...target, [SIGNATURE_KEY]: signature };
  }

  private async verify(signature: string, content: JsonObject): Promise<{ iat?: number; exp?: number }> {
    const { verification } = await this.ready();
    let header: { iat?: number; exp?: number };
    try {
      header = await verifyDetached(signature, content, verification);
    } catch (error) {
      throw new MiddlewareRefusal((error as Error).message);
    }
    if (typeof header.iat === 'number' && header.iat * 1000 > this.clock.now() + this.options.maxSkewMs) {
      throw new MiddlewareRefusal('signed in the future (clock skew beyond the window)');
    }
    return header;
  }

  private unsigned(what: string, body: JsonObject): JsonObject {
    if (this.options.require) throw new MiddlewareRefusal(`${what} is not signed`);
    return body;
  }

  /** Imports the keys once, on first use (jose's imports are async). */
  private ready() {
    return (this.keys ??= (async () => {
      const signing = await loadSigningKey(this.options.signingKey);
      const verification = new Map<string, LoadedKey>();
      // A shared HS256 secret verifies what it signs: both ends can hold one key.
      if (signing.alg === 'HS256') verification.set(signing.kid, signing);
      for (const key of this.options.verificationKeys) verification.set(key.kid, await loadVerificationKey(key));
      const encrypt = this.options.encrypt;
      let cipher: SectionCipher | undefined;
      let telemetryCipher: SectionCipher | undefined;
      if (encrypt) {
        const current = await aesKey(decodeAesKey(encrypt.key));
        const keys = new Map([[encrypt.kid, current]]);
        for (const previous of encrypt.previousKeys) keys.set(previous.kid, await aesKey(decodeAesKey(previous.key)));
        cipher = new SectionCipher(encrypt.sections, current, encrypt.kid, keys);
        if (encrypt.telemetry.length > 0) telemetryCipher = new SectionCipher(encrypt.telemetry, current, encrypt.kid, keys);
      }
      return { signing, verification, ...(cipher ? { cipher } : {}), ...(telemetryCipher ? { telemetryCipher } : {}) };
    })());
  }
}

function commandContent(command: CommandEnvelope, params: JsonObject): JsonObject {
  return { t: 'command', dev: command.deviceId, cmd: command.command, cid: command.commandId, body: params };
}

/**
 * What a telemetry signature covers. The record's timestamp is bound too, except for a
 * self-contained message (the guide's playerStatus): IoT Hub carries that as the message body
 * alone, and its own `timestamp` field is in the body.
 */
function telemetryContent(deviceId: string, kind: string, body: JsonObject, timestamp: number): JsonObject {
  const selfContained = isDeviceMessage({ kind, data: body, timestamp });
  return { t: 'telemetry', dev: deviceId, kind, ...(selfContained ? {} : { timestamp }), body };
}

function split(value: JsonObject): { signature: string | undefined; body: JsonObject } {
  const { [SIGNATURE_KEY]: signature, ...body } = value;
  return { signature: typeof signature === 'string' ? signature : undefined, body };
}
