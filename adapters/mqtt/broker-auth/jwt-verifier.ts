import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ConfigError } from '../../../core/index.js';
import { topicLevelProblem } from '../../../core/internal.js';

/**
 * Node-only: users whose MQTT password is a JWT. HS256 with a shared secret, or RS256/ES256 with
 * the keys of a JWKS (a file, or a URL such as an Azure AD B2C policy's `discovery/v2.0/keys`).
 * The devices claim (an array, or a space/comma separated string as B2C custom attributes are)
 * becomes the user's device list.
 */
export interface JwtUserOptions {
  /** HS256 shared secret. */
  readonly secret?: string;
  /** JWKS file path or http(s) URL with the RS256/ES256 verification keys. */
  readonly jwks?: string;
  readonly issuer?: string;
  readonly audience?: string;
  /** Claim listing the devices the user may read and command. Default `amora_devices`. */
  readonly devicesClaim?: string;
  /** Claim naming the user. Default `sub`. */
  readonly usernameClaim?: string;
}

export interface VerifiedJwtUser {
  readonly name: string;
  readonly devices: readonly string[];
  /** Epoch milliseconds of `exp`. */
  readonly expiresAt: number;
}

export const DEFAULT_DEVICES_CLAIM = 'amora_devices';

export class JwtVerifier {
  private constructor(
    private readonly key: Uint8Array | JWTVerifyGetKey,
    private readonly algorithms: string[],
    private readonly options: JwtUserOptions,
  ) {}

  /** Reads the JWKS file (or prepares the URL's key set, fetched on first use). */
  static async create(options: JwtUserOptions): Promise<JwtVerifier> {
    if (options.secret !== undefined) {
      if (options.secret.length < 32) throw new ConfigError('JWT secret must be at least 32 characters (HS256 wants 256 bits)');
      return new JwtVerifier(new TextEncoder().encode(options.secret), ['HS256'], options);
    }
    if (options.jwks === undefined) throw new ConfigError('JWT users need a secret or a JWKS');
    const asymmetric = ['RS256', 'ES256'];
    if (/^https?:\/\//.test(options.jwks)) return new JwtVerifier(createRemoteJWKSet(new URL(options.jwks)), asymmetric, options);
    let set: unknown;
    try {
      set = JSON.parse(await readFile(options.jwks, 'utf8'));
    } catch (error) {
      throw new ConfigError(`cannot read JWKS file ${options.jwks}: ${(error as Error).message}`, { cause: error });
    }
    return new JwtVerifier(createLocalJWKSet(set as Parameters<typeof createLocalJWKSet>[0]), asymmetric, options);
  }

  /** Verifies signature, issuer, audience and expiry (required); rejects with the reason. */
  async verify(token: string): Promise<VerifiedJwtUser> {
    const verifyOptions = {
      algorithms: this.algorithms,
      requiredClaims: ['exp'],
      ...(this.options.issuer === undefined ? {} : { issuer: this.options.issuer }),
      ...(this.options.audience === undefined ? {} : { audience: this.options.audience }),
    };
    const { payload } =
      this.key instanceof Uint8Array ? await jwtVerify(token, this.key, verifyOptions) : await jwtVerify(token, this.key, verifyOptions);
    const name = payload[this.options.usernameClaim ?? 'sub'];
    if (typeof name !== 'string' || name === '') throw new Error(`token has no "${this.options.usernameClaim ?? 'sub'}" claim`);
    return { name, devices: devicesOf(payload, this.options.devicesClaim ?? DEFAULT_DEVICES_CLAIM), expiresAt: payload.exp! * 1000 };
  }
}

function devicesOf(payload: JWTPayload, claim: string): string[] {
  const value = payload[claim];
  const list = typeof value === 'string' ? value.split(/[\s,]+/) : Array.isArray(value) ? value : [];
  // A device id that is not one safe topic level would widen the grant ('+', '#', '/').
  return list.filter((id): id is string => typeof id === 'string' && topicLevelProblem(id) === undefined);
}

/** True when a password looks like a compact JWS (three base64url parts). */
export function looksLikeJwt(password: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]*$/.test(password);
}
