import { randomUUID } from 'node:crypto';
import { isValidThingName } from '../shadow-topics.js';
import { certificateId as idOfCertificate } from './certificates.js';
import { isAllowed, MalformedPolicyError, parsePolicyDocument, type IotAction, type IotPolicyDocument } from './iot-policy.js';

/**
 * What AWS IoT's control plane keeps: things (with attributes and a version), certificates (with
 * a status), policies, and the attachments between them (thing <-> certificate, policy ->
 * certificate). The MQTT endpoint asks it who a client certificate is and what it may do.
 * Errors are IotApiErrors named as the restJson `x-amzn-ErrorType` of the real service.
 */

export type CertificateStatus = 'ACTIVE' | 'INACTIVE' | 'REVOKED' | 'PENDING_TRANSFER' | 'PENDING_ACTIVATION';
const CERTIFICATE_STATUSES: readonly CertificateStatus[] = ['ACTIVE', 'INACTIVE', 'REVOKED', 'PENDING_TRANSFER', 'PENDING_ACTIVATION'];

export class IotApiError extends Error {
  override readonly name = 'IotApiError';
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
    /** Extra members of the error shape (ResourceAlreadyExistsException's resourceId, resourceArn). */
    readonly fields: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export interface ThingRecord {
  readonly thingName: string;
  readonly thingId: string;
  readonly thingArn: string;
  readonly thingTypeName?: string;
  attributes: Record<string, string>;
  version: number;
  /** Certificate ARNs attached to the thing. */
  readonly principals: Set<string>;
}

export interface CertificateRecord {
  readonly certificateId: string;
  readonly certificateArn: string;
  readonly certificatePem: string;
  status: CertificateStatus;
  readonly creationDate: Date;
  lastModifiedDate: Date;
  readonly policies: Set<string>;
  readonly things: Set<string>;
  /**
   * Issued by the emulator's own `createThing` (`--thing`): authorised for every MQTT action
   * without a policy, so quick local setups need no policy work.
   */
  readonly unrestricted: boolean;
}

export interface PolicyRecord {
  readonly policyName: string;
  readonly policyArn: string;
  readonly policyDocument: string;
  readonly parsed: IotPolicyDocument;
  readonly creationDate: Date;
}

/** A connected client certificate, as the MQTT endpoint sees it. */
export interface MqttPrincipal {
  readonly certificateId: string;
  /** The thing the connection counts as (`iot:Connection.Thing.ThingName`), if any. */
  readonly thingName?: string;
  /** Decides an MQTT action on a resource path after `arn:...:` (`client/id`, `topic/a/b`, `topicfilter/a/#`). */
  allows(action: IotAction, resource: string): boolean;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextToken?: string;
}

/** What survives a restart: everything but the emulator's own `--thing` certificates (kept as files). */
export interface ControlPlaneState {
  readonly version: 1;
  readonly things: readonly {
    thingName: string;
    thingId: string;
    thingTypeName?: string;
    attributes: Record<string, string>;
    version: number;
    principals: string[];
  }[];
  readonly certificates: readonly { certificatePem: string; status: CertificateStatus; creationDate: number; lastModifiedDate: number; policies: string[] }[];
  readonly policies: readonly { policyName: string; policyDocument: string; creationDate: number }[];
}

export const DEFAULT_REGION = 'us-east-1';
/** The account id in every ARN the emulator hands out (AWS's documentation example account). */
export const DEFAULT_ACCOUNT_ID = '123456789012';

export class ControlPlaneRegistry {
  private readonly things = new Map<string, ThingRecord>();
  private readonly certificates = new Map<string, CertificateRecord>();
  private readonly policies = new Map<string, PolicyRecord>();
  private readonly arnPrefix: string;
  /** Called after every change, to save the state. */
  onChange: (() => void) | undefined;

  constructor(region = DEFAULT_REGION, accountId = DEFAULT_ACCOUNT_ID) {
    this.arnPrefix = `arn:aws:iot:${region}:${accountId}`;
  }

  /** CreateThing: idempotent for the same type and attributes, a conflict otherwise (as on AWS). */
  createThing(thingName: string, attributes: Record<string, string> = {}, thingTypeName?: string): ThingRecord {
    if (!isValidThingName(thingName)) throw invalid(`invalid thing name "${thingName}" (1-128 of letters, digits, ':', '_', '-')`);
    const existing = this.things.get(thingName);
    if (existing) {
      if (existing.thingTypeName === thingTypeName && sameAttributes(existing.attributes, attributes)) return existing;
      throw new IotApiError(409, 'ResourceAlreadyExistsException', `Thing ${thingName} already exists in account with different attributes`, {
        resourceId: existing.thingId,
        resourceArn: existing.thingArn,
      });
    }
    const thing: ThingRecord = {
      thingName,
      thingId: randomUUID(),
      thingArn: `${this.arnPrefix}:thing/${thingName}`,
      ...(thingTypeName ? { thingTypeName } : {}),
      attributes: { ...attributes },
      version: 1,
      principals: new Set(),
    };
    this.things.set(thingName, thing);
    this.changed();
    return thing;
  }

  hasThing(thingName: string): boolean {
    return this.things.has(thingName);
  }

  describeThing(thingName: string): ThingRecord {
    const thing = this.things.get(thingName);
    if (!thing) throw notFound(`Thing ${thingName} cannot be found.`);
    return thing;
  }

  /** ListThings: in name order, optionally filtered by an attribute or a thing type. */
  listThings(
    filter: { attributeName?: string; attributeValue?: string; usePrefixAttributeValue?: boolean; thingTypeName?: string },
    paging: { nextToken?: string; maxResults?: number },
  ): Page<ThingRecord> {
    const matching = [...this.things.values()]
      .filter((thing) => filter.thingTypeName === undefined || thing.thingTypeName === filter.thingTypeName)
      .filter((thing) => {
        if (filter.attributeName === undefined) return true;
        const value = thing.attributes[filter.attributeName];
        if (value === undefined) return false;
        if (filter.attributeValue === undefined) return true;
        return filter.usePrefixAttributeValue ? value.startsWith(filter.attributeValue) : value === filter.attributeValue;
      })
      .toSorted((a, b) => compare(a.thingName, b.thingName));
    return page(matching, (thing) => thing.thingName, paging, 250);
  }

  /** DeleteThing: a thing that does not exist is no error; one with principals attached is refused. */
  deleteThing(thingName: string, expectedVersion?: number): void {
    const thing = this.things.get(thingName);
    if (!thing) return;
    if (expectedVersion !== undefined && expectedVersion !== thing.version) {
      throw new IotApiError(409, 'VersionConflictException', `The version for thing ${thingName} does not match the expected version.`);
    }
    if (thing.principals.size > 0) throw invalid(`Cannot delete thing ${thingName} which has principals attached; detach them first`);
    this.things.delete(thingName);
    this.changed();
  }

  /** Registers a certificate issued for a client (CreateKeysAndCertificate or the emulator's own). */
  addCertificate(certificatePem: string, status: CertificateStatus, unrestricted = false): CertificateRecord {
    const certificateId = idOfCertificate(certificatePem);
    const now = new Date();
    const record: CertificateRecord = {
      certificateId,
      certificateArn: `${this.arnPrefix}:cert/${certificateId}`,
      certificatePem,
      status,
      creationDate: now,
      lastModifiedDate: now,
      policies: new Set(),
      things: new Set(),
      unrestricted,
    };
    this.certificates.set(certificateId, record);
    this.changed();
    return record;
  }

  describeCertificate(certificateId: string): CertificateRecord {
    const certificate = this.certificates.get(certificateId);
    if (!certificate) throw notFound(`The certificate ${certificateId} does not exist`);
    return certificate;
  }

  updateCertificate(certificateId: string, status: string): void {
    const certificate = this.describeCertificate(certificateId);
    if (!CERTIFICATE_STATUSES.includes(status as CertificateStatus)) throw invalid(`newStatus must be one of ${CERTIFICATE_STATUSES.join(', ')}`);
    certificate.status = status as CertificateStatus;
    certificate.lastModifiedDate = new Date();
    this.changed();
  }

  /**
   * DeleteCertificate: an ACTIVE certificate is refused (CertificateStateException), one still
   * attached to a thing or (unless `forceDelete`) a policy too (DeleteConflictException).
   */
  deleteCertificate(certificateId: string, forceDelete: boolean): void {
    const certificate = this.describeCertificate(certificateId);
    if (certificate.status === 'ACTIVE') {
      throw new IotApiError(406, 'CertificateStateException', 'Certificate must be deactivated before deletion.');
    }
    if (certificate.things.size > 0 || (!forceDelete && certificate.policies.size > 0)) {
      throw new IotApiError(409, 'DeleteConflictException', `Certificate ${certificateId} has things or policies attached; detach them first`);
    }
    this.certificates.delete(certificateId);
    this.changed();
  }

  /** Forgets a certificate with its attachments (the emulator's own deleteThing). */
  removeCertificate(certificateId: string): void {
    const certificate = this.certificates.get(certificateId);
    if (!certificate) return;
    for (const thingName of certificate.things) this.things.get(thingName)?.principals.delete(certificate.certificateArn);
    this.certificates.delete(certificateId);
    this.changed();
  }

  attachThingPrincipal(thingName: string, principal: string): void {
    const thing = this.describeThing(thingName);
    const certificate = this.certificateByArn(principal);
    thing.principals.add(certificate.certificateArn);
    certificate.things.add(thingName);
    this.changed();
  }

  detachThingPrincipal(thingName: string, principal: string): void {
    const thing = this.describeThing(thingName);
    const certificate = this.certificateByArn(principal);
    thing.principals.delete(certificate.certificateArn);
    certificate.things.delete(thingName);
    this.changed();
  }

  listThingPrincipals(thingName: string, paging: { nextToken?: string; maxResults?: number }): Page<string> {
    const principals = [...this.describeThing(thingName).principals].toSorted(compare);
    return page(principals, (arn) => arn, paging, 250);
  }

  createPolicy(policyName: string, policyDocument: string): PolicyRecord {
    if (!/^[\w+=,.@-]{1,128}$/.test(policyName)) throw invalid(`invalid policy name "${policyName}"`);
    if (this.policies.has(policyName)) {
      const existing = this.policies.get(policyName)!;
      throw new IotApiError(409, 'ResourceAlreadyExistsException', `Policy cannot be created - name already exists (name=${policyName})`, {
        resourceId: policyName,
        resourceArn: existing.policyArn,
      });
    }
    let parsed: IotPolicyDocument;
    try {
      parsed = parsePolicyDocument(policyDocument);
    } catch (error) {
      if (error instanceof MalformedPolicyError) throw new IotApiError(400, 'MalformedPolicyException', error.message);
      throw error;
    }
    const policy: PolicyRecord = { policyName, policyArn: `${this.arnPrefix}:policy/${policyName}`, policyDocument, parsed, creationDate: new Date() };
    this.policies.set(policyName, policy);
    this.changed();
    return policy;
  }

  getPolicy(policyName: string): PolicyRecord {
    const policy = this.policies.get(policyName);
    if (!policy) throw notFound(`Policy not found (name=${policyName})`);
    return policy;
  }

  /** DeletePolicy: refused while the policy is attached to a certificate (DeleteConflictException). */
  deletePolicy(policyName: string): void {
    this.getPolicy(policyName);
    if ([...this.certificates.values()].some((certificate) => certificate.policies.has(policyName))) {
      throw new IotApiError(409, 'DeleteConflictException', `The policy ${policyName} is attached to one or more principals; detach it first`);
    }
    this.policies.delete(policyName);
    this.changed();
  }

  /** AttachPolicy with a certificate ARN as the target (the only target kind the emulator has). */
  attachPolicy(policyName: string, target: string): void {
    this.getPolicy(policyName);
    this.certificateByArn(target).policies.add(policyName);
    this.changed();
  }

  detachPolicy(policyName: string, target: string): void {
    this.getPolicy(policyName);
    this.certificateByArn(target).policies.delete(policyName);
    this.changed();
  }

  listAttachedPolicies(target: string, paging: { nextToken?: string; maxResults?: number }): Page<PolicyRecord> {
    const names = [...this.certificateByArn(target).policies].toSorted(compare);
    const policies = names.map((name) => this.policies.get(name)).filter((policy) => policy !== undefined);
    return page(policies, (policy) => policy.policyName, paging, 250);
  }

  /** The state to save; the emulator's own `--thing` certificates are left out (their files are the record). */
  snapshot(): ControlPlaneState {
    const saved = [...this.certificates.values()].filter((certificate) => !certificate.unrestricted);
    const savedArns = new Set(saved.map((certificate) => certificate.certificateArn));
    return {
      version: 1,
      things: [...this.things.values()].map((thing) => ({
        thingName: thing.thingName,
        thingId: thing.thingId,
        ...(thing.thingTypeName ? { thingTypeName: thing.thingTypeName } : {}),
        attributes: thing.attributes,
        version: thing.version,
        principals: [...thing.principals].filter((arn) => savedArns.has(arn)),
      })),
      certificates: saved.map((certificate) => ({
        certificatePem: certificate.certificatePem,
        status: certificate.status,
        creationDate: certificate.creationDate.getTime(),
        lastModifiedDate: certificate.lastModifiedDate.getTime(),
        policies: [...certificate.policies],
      })),
      policies: [...this.policies.values()].map((policy) => ({ policyName: policy.policyName, policyDocument: policy.policyDocument, creationDate: policy.creationDate.getTime() })),
    };
  }

  /** Loads a saved state into this (empty) registry; ARNs take this registry's region and account. */
  restore(state: ControlPlaneState): void {
    for (const policy of state.policies) {
      this.policies.set(policy.policyName, {
        policyName: policy.policyName,
        policyArn: `${this.arnPrefix}:policy/${policy.policyName}`,
        policyDocument: policy.policyDocument,
        parsed: parsePolicyDocument(policy.policyDocument),
        creationDate: new Date(policy.creationDate),
      });
    }
    for (const saved of state.certificates) {
      const certificateId = idOfCertificate(saved.certificatePem);
      this.certificates.set(certificateId, {
        certificateId,
        certificateArn: `${this.arnPrefix}:cert/${certificateId}`,
        certificatePem: saved.certificatePem,
        status: saved.status,
        creationDate: new Date(saved.creationDate),
        lastModifiedDate: new Date(saved.lastModifiedDate),
        policies: new Set(saved.policies.filter((name) => this.policies.has(name))),
        things: new Set(),
        unrestricted: false,
      });
    }
    for (const saved of state.things) {
      const thing: ThingRecord = {
        thingName: saved.thingName,
        thingId: saved.thingId,
        thingArn: `${this.arnPrefix}:thing/${saved.thingName}`,
        ...(saved.thingTypeName ? { thingTypeName: saved.thingTypeName } : {}),
        attributes: { ...saved.attributes },
        version: saved.version,
        principals: new Set(),
      };
      this.things.set(thing.thingName, thing);
      for (const principal of saved.principals) {
        const certificate = this.certificates.get(/:cert\/([0-9a-f]{64})$/.exec(principal)?.[1] ?? '');
        if (!certificate) continue;
        thing.principals.add(certificate.certificateArn);
        certificate.things.add(thing.thingName);
      }
    }
  }

  /**
   * The principal an ACTIVE certificate (DER, as TLS presented it) connects as, or undefined when
   * the certificate is unknown or not active. The connection's thing is the attached thing named
   * like the client id, else the only attached thing.
   */
  principalFor(der: Buffer, clientId: string): MqttPrincipal | undefined {
    const certificate = this.certificates.get(idOfCertificate(der));
    if (!certificate || certificate.status !== 'ACTIVE') return undefined;
    const attached = [...certificate.things];
    const thingName = attached.includes(clientId) ? clientId : attached.length === 1 ? attached[0] : undefined;
    const thing = thingName === undefined ? undefined : this.things.get(thingName);
    return {
      certificateId: certificate.certificateId,
      ...(thingName === undefined ? {} : { thingName }),
      allows: (action, resource) => {
        if (certificate.unrestricted) return true;
        // Read at each decision: a policy attached or detached later applies to the open connection.
        const documents = [...certificate.policies].map((name) => this.policies.get(name)?.parsed).filter((policy) => policy !== undefined);
        return isAllowed(documents, action, `${this.arnPrefix}:${resource}`, {
          clientId,
          ...(thingName === undefined ? {} : { thingName }),
          ...(thing ? { thingAttributes: thing.attributes } : {}),
        });
      },
    };
  }

  private changed(): void {
    this.onChange?.();
  }

  private certificateByArn(arn: string): CertificateRecord {
    const id = /:cert\/([0-9a-f]{64})$/.exec(arn)?.[1];
    const certificate = id === undefined ? undefined : this.certificates.get(id);
    if (!certificate) throw notFound(`The certificate ${arn} does not exist`);
    return certificate;
  }
}

/** One page of `items` after the opaque `nextToken` (the last key of the previous page). */
function page<T>(items: readonly T[], key: (item: T) => string, paging: { nextToken?: string; maxResults?: number }, max: number): Page<T> {
  const size = paging.maxResults ?? max;
  if (!Number.isInteger(size) || size < 1 || size > max) throw invalid(`maxResults must be between 1 and ${max}`);
  let start = 0;
  if (paging.nextToken !== undefined) {
    const after = Buffer.from(paging.nextToken, 'base64url').toString('utf8');
    if (after === '') throw invalid('invalid nextToken');
    start = items.findIndex((item) => compare(key(item), after) > 0);
    if (start < 0) start = items.length;
  }
  const slice = items.slice(start, start + size);
  const more = start + size < items.length;
  return { items: slice, ...(more ? { nextToken: Buffer.from(key(slice.at(-1)!)).toString('base64url') } : {}) };
}

function sameAttributes(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** AWS IoT's answer to a malformed request or one the resource's state does not allow. */
export function invalid(message: string): IotApiError {
  return new IotApiError(400, 'InvalidRequestException', message);
}

function notFound(message: string): IotApiError {
  return new IotApiError(404, 'ResourceNotFoundException', message);
}
