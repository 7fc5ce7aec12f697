import { readFile } from 'node:fs/promises';
import type { TLSSocket } from 'node:tls';
import { ConfigError, type Logger } from '../../../core/index.js';
import { DEFAULT_TOPIC_PREFIX } from '../../../core/internal.js';
import { aclAllows, aclEntriesFor, parseAclFile, type AclFile, type AclRequest } from './acl-file.js';
import type { BrokerAuthOptions } from './broker-auth-options.js';
import { deviceIdFromCertificate } from './certificate-identity.js';
import { deviceGrants, FULL_ACCESS, userGrants } from './default-grants.js';
import { BrokerAuthError, type AuthorizedClient, type BrokerIdentity } from './identity.js';
import { JwtVerifier, looksLikeJwt } from './jwt-verifier.js';
import { parsePasswordFile, verifyPassword, type PasswordEntry } from './password-file.js';

/** What the authorizer refused since start, for logs and metrics. */
export interface BrokerDenials {
  connects: number;
  publishes: number;
  subscribes: number;
}

/**
 * Node-only: decides who a client is at CONNECT and what it may publish, subscribe and receive.
 * Devices are named by their certificate; users by the password file or a JWT; each gets its ACL
 * file entries, or without a file the default device/user rules (password users: everything, as
 * on Mosquitto). A client id stays bound to the identity holding it while that client is online
 * or keeps a session, so no one takes over another's client id.
 */
export class BrokerAuthorizer {
  readonly denials: BrokerDenials = { connects: 0, publishes: 0, subscribes: 0 };
  private passwords: ReadonlyMap<string, PasswordEntry> = new Map();
  private acl: AclFile | undefined;
  /** Client id → the identity holding it and the connection that took it. */
  private readonly owners = new Map<string, { readonly key: string; readonly holder: object }>();
  private readonly prefix: string;

  private constructor(
    private readonly options: BrokerAuthOptions,
    private readonly jwt: JwtVerifier | undefined,
    private readonly logger: Logger,
  ) {
    this.prefix = options.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
  }

  /** Reads the files and prepares the JWT keys; a bad file is a ConfigError. */
  static async create(options: BrokerAuthOptions, logger: Logger): Promise<BrokerAuthorizer> {
    const jwt = options.jwt ? await JwtVerifier.create(options.jwt) : undefined;
    const authorizer = new BrokerAuthorizer(options, jwt, logger);
    await authorizer.reload();
    return authorizer;
  }

  /** Reads the password and ACL files again (SIGHUP); on an error the old ones stay in force. */
  async reload(): Promise<void> {
    const passwords = this.options.passwordFile ? parsePasswordFile(await readText(this.options.passwordFile), this.options.passwordFile) : new Map();
    const acl = this.options.aclFile ? parseAclFile(await readText(this.options.aclFile), this.options.aclFile) : undefined;
    this.passwords = passwords;
    this.acl = acl;
  }

  /**
   * Authenticates a CONNECT; rejects with a BrokerAuthError carrying the CONNACK code. `holder`
   * is the connection (aedes client), so only its own departure releases the client id.
   */
  async authenticate(socket: unknown, clientId: string, username: string | undefined, password: Buffer | undefined, holder: object): Promise<AuthorizedClient> {
    try {
      const identity = await this.identify(socket, username, password);
      this.bind(clientId, identity, holder);
      return { identity, clientId, entries: this.entriesFor(identity, clientId) };
    } catch (error) {
      this.denials.connects++;
      throw error;
    }
  }

  /**
   * Forgets a client id's owner when its connection leaves without a session to keep; a connection
   * replaced by a newer one of the same identity (a takeover) leaves the binding to the newer one.
   */
  release(clientId: string, keepsSession: boolean, holder: object): void {
    if (!keepsSession && this.owners.get(clientId)?.holder === holder) this.owners.delete(clientId);
  }

  /**
   * Whether a client may do `request` on a topic (a filter, for subscribe); denials are counted.
   * A wildcard subscription that overlaps a read grant is granted: each message is checked on
   * delivery, so a controller's `{p}/devices/+/connection` shows only the devices it may see.
   */
  allows(client: AuthorizedClient, request: AclRequest, topic: string): boolean {
    const allowed = aclAllows(client.entries, request === 'subscribe' ? 'subscribe-wide' : request, topic);
    if (!allowed && request !== 'read') {
      this.denials[request === 'write' ? 'publishes' : 'subscribes']++;
      this.logger.warn({ clientId: client.clientId, identity: client.identity.name, topic, request }, 'broker denied a client request');
    }
    return allowed;
  }

  private async identify(socket: unknown, username: string | undefined, password: Buffer | undefined): Promise<BrokerIdentity> {
    const tls = socket as Partial<TLSSocket>;
    if (tls.encrypted && tls.authorized && typeof tls.getPeerCertificate === 'function') {
      const deviceId = deviceIdFromCertificate(tls.getPeerCertificate());
      if (deviceId === undefined) throw new BrokerAuthError('client certificate names no usable device id', 5);
      return { kind: 'device', name: deviceId };
    }
    if (username === undefined && password === undefined) throw new BrokerAuthError('anonymous clients are not allowed', 5);
    const secret = password?.toString('utf8') ?? '';
    const entry = username === undefined ? undefined : this.passwords.get(username);
    if (entry) {
      if (verifyPassword(entry, secret)) return { kind: 'password', name: username! };
      throw new BrokerAuthError('bad user name or password', 4);
    }
    if (this.jwt && looksLikeJwt(secret)) {
      try {
        const user = await this.jwt.verify(secret);
        return { kind: 'jwt', name: user.name, devices: user.devices, expiresAt: user.expiresAt };
      } catch (error) {
        throw new BrokerAuthError(`JWT refused: ${(error as Error).message}`, 4);
      }
    }
    throw new BrokerAuthError('bad user name or password', 4);
  }

  private bind(clientId: string, identity: BrokerIdentity, holder: object): void {
    if (identity.kind === 'device' && !deviceMayUse(clientId, identity.name)) {
      throw new BrokerAuthError(`device ${identity.name} may only use its own client id (${identity.name} or amora-${identity.name}[-...])`, 2);
    }
    if (identity.kind === 'jwt' && clientId.startsWith('amora-') && !clientId.startsWith('amora-ctl-')) {
      throw new BrokerAuthError('client ids amora-* (but amora-ctl-*) are reserved to devices', 2);
    }
    const key = `${identity.kind}:${identity.name}`;
    const owner = this.owners.get(clientId);
    if (owner !== undefined && owner.key !== key) throw new BrokerAuthError(`client id ${clientId} belongs to another identity`, 2);
    this.owners.set(clientId, { key, holder });
  }

  private entriesFor(identity: BrokerIdentity, clientId: string) {
    const fromFile = this.acl ? aclEntriesFor(this.acl, identity.kind === 'anonymous' ? undefined : identity.name, clientId) : [];
    switch (identity.kind) {
      case 'device':
        return [...fromFile, ...deviceGrants(this.prefix, identity.name)];
      case 'jwt':
        return [...fromFile, ...userGrants(this.prefix, identity.devices, clientId)];
      default:
        return this.acl ? fromFile : FULL_ACCESS;
    }
  }
}

function deviceMayUse(clientId: string, deviceId: string): boolean {
  return [deviceId, `amora-${deviceId}`].some((own) => clientId === own || clientId.startsWith(`${own}-`));
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}
