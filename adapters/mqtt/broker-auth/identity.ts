import type { AclEntry } from './acl-file.js';

/**
 * Who a broker client is, decided once at CONNECT: a device (by its certificate), a user (by a
 * JWT or the password file), or anonymous (only when the broker has no authentication at all).
 */
export type BrokerIdentity =
  | { readonly kind: 'device'; readonly name: string }
  | { readonly kind: 'jwt'; readonly name: string; readonly devices: readonly string[]; readonly expiresAt: number }
  | { readonly kind: 'password'; readonly name: string }
  | { readonly kind: 'anonymous'; readonly name: '' };

/** An authenticated client: its identity and the ACL entries that apply to it (patterns expanded). */
export interface AuthorizedClient {
  readonly identity: BrokerIdentity;
  readonly clientId: string;
  readonly entries: readonly AclEntry[];
}

/** Why a CONNECT is refused; `returnCode` is the MQTT 3.1.1 CONNACK code aedes sends. */
export class BrokerAuthError extends Error {
  override readonly name = 'BrokerAuthError';
  constructor(
    message: string,
    readonly returnCode: 2 | 4 | 5,
  ) {
    super(message);
  }
}
