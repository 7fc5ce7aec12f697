import type { JwtUserOptions } from './jwt-verifier.js';

/** Authentication and authorization of the embedded broker; any of these turns them on. */
export interface BrokerAuthOptions {
  /** Mosquitto password file (`mosquitto_passwd` output). */
  readonly passwordFile?: string;
  /** Mosquitto ACL file; without it password users may use every topic, as on Mosquitto. */
  readonly aclFile?: string;
  /** Users whose MQTT password is a JWT. */
  readonly jwt?: JwtUserOptions;
  /** Topic prefix of the default device and user rules. Default `amora`. */
  readonly topicPrefix?: string;
}

/** TLS listener; with `requireClientCert`, every client needs a certificate from `ca`. */
export interface BrokerTlsOptions {
  /** Port of the TLS listener; 0 picks a free one. Default 8883. */
  readonly port?: number;
  /** PEM text of the server certificate chain and key. */
  readonly cert: string;
  readonly key: string;
  /** PEM text of the CA(s) that sign device certificates; enables client certificates. */
  readonly ca?: string;
  /** Refuse TLS clients without a valid certificate. Default false (they may use a password or JWT). */
  readonly requireClientCert?: boolean;
}
