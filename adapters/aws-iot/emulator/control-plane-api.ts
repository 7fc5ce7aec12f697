import type { IncomingHttpHeaders } from 'node:http';
import { isJsonObject } from '../../../core/index.js';
import { invalid, IotApiError, type CertificateRecord, type ControlPlaneRegistry, type ThingRecord } from './control-plane-registry.js';
import type { ThingRegistry } from './thing-registry.js';

/**
 * AWS IoT's control-plane REST API (restJson1, signing name `iot`), the calls
 * `@aws-sdk/client-iot` makes for provisioning: DescribeEndpoint; things (Create, Describe, List,
 * Delete, GetThingConnectivityData); CreateKeysAndCertificate, Describe/Update/DeleteCertificate;
 * thing principals (Attach, Detach, List); policies (Create, Get, Delete, Attach, Detach,
 * ListAttachedPolicies). Paths, query names, headers and JSON members are those of the SDK's
 * operation schemas; errors are IotApiErrors.
 */

export interface ControlPlaneRequest {
  readonly method: string;
  /** Decoded path segments. */
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Uint8Array;
}

/** A 200 answer: a JSON body, or none (the operations whose output is empty). */
export type ControlPlaneAnswer = Record<string, unknown> | undefined;

const ENDPOINT_TYPES = ['iot:Data', 'iot:Data-ATS', 'iot:CredentialProvider', 'iot:Jobs'];

/** What the MQTT endpoint knows about a client id's connection (GetThingConnectivityData). */
export type Connectivity = (clientId: string) => { connected: boolean; timestamp?: number; disconnectReason?: string };

export class ControlPlaneApi {
  constructor(
    private readonly things: ThingRegistry,
    private readonly connectivity: Connectivity,
    /** The host name devices connect to, DescribeEndpoint's answer. */
    private readonly endpoint: string,
  ) {}

  private get registry(): ControlPlaneRegistry {
    return this.things.controlPlane;
  }

  async handle(request: ControlPlaneRequest): Promise<ControlPlaneAnswer> {
    const { method, segments, query } = request;
    const [collection, name, sub, ...rest] = segments;
    if (rest.length > 0 || collection === undefined) throw unknownOperation(request);
    const body = (): Record<string, unknown> => jsonBody(request.body);

    if (collection === 'things' && name === undefined && method === 'GET') {
      const page = this.registry.listThings(
        {
          ...optional('attributeName', query.get('attributeName')),
          ...optional('attributeValue', query.get('attributeValue')),
          ...optional('thingTypeName', query.get('thingTypeName')),
          usePrefixAttributeValue: query.get('usePrefixAttributeValue') === 'true',
        },
        paging(query),
      );
      return { things: page.items.map(thingAttribute), ...optional('nextToken', page.nextToken) };
    }
    if (collection === 'things' && name !== undefined && sub === undefined) {
      if (method === 'POST') {
        const input = body();
        const payload = isJsonObject(input['attributePayload']) ? input['attributePayload'] : {};
        const thing = this.registry.createThing(name, stringRecord(payload['attributes'], 'attributes'), optionalString(input['thingTypeName'], 'thingTypeName'));
        return { thingName: thing.thingName, thingArn: thing.thingArn, thingId: thing.thingId };
      }
      if (method === 'GET') {
        const thing = this.registry.describeThing(name);
        return { defaultClientId: thing.thingName, ...thingAttribute(thing), thingId: thing.thingId };
      }
      if (method === 'DELETE') {
        const expected = query.get('expectedVersion');
        this.registry.deleteThing(name, expected === null ? undefined : integer(expected, 'expectedVersion'));
        return {};
      }
    }
    if (collection === 'things' && name !== undefined && sub === 'connectivity-data' && method === 'POST') {
      // As on AWS, the connection counted is the one whose client id is the thing name.
      const thing = this.registry.describeThing(name);
      const state = this.connectivity(thing.thingName);
      return {
        thingName: thing.thingName,
        connected: state.connected,
        ...optional('timestamp', state.timestamp === undefined ? undefined : state.timestamp / 1000),
        ...optional('disconnectReason', state.connected ? undefined : state.disconnectReason),
      };
    }
    if (collection === 'things' && name !== undefined && sub === 'principals') {
      if (method === 'GET') {
        const page = this.registry.listThingPrincipals(name, paging(query));
        return { principals: page.items, ...optional('nextToken', page.nextToken) };
      }
      const principal = header(request.headers, 'x-amzn-principal');
      if (principal === undefined) throw invalid('the x-amzn-principal header is required');
      if (method === 'PUT') {
        this.registry.attachThingPrincipal(name, principal);
        return {};
      }
      if (method === 'DELETE') {
        this.registry.detachThingPrincipal(name, principal);
        return {};
      }
    }
    if (collection === 'endpoint' && name === undefined && method === 'GET') {
      const type = query.get('endpointType') ?? 'iot:Data';
      if (!ENDPOINT_TYPES.includes(type)) throw invalid(`endpointType must be one of ${ENDPOINT_TYPES.join(', ')}`);
      // A host name only, as AWS answers; the ports are the emulator's own.
      return { endpointAddress: this.endpoint };
    }
    if (collection === 'keys-and-certificate' && name === undefined && method === 'POST') {
      const issued = await this.things.issueCertificate(query.get('setAsActive') === 'true');
      return {
        certificateArn: issued.certificate.certificateArn,
        certificateId: issued.certificate.certificateId,
        certificatePem: issued.certificate.certificatePem,
        keyPair: { PublicKey: issued.publicKeyPem, PrivateKey: issued.privateKeyPem },
      };
    }
    if (collection === 'certificates' && name !== undefined && sub === undefined) {
      if (method === 'GET') return { certificateDescription: certificateDescription(this.registry.describeCertificate(name)) };
      if (method === 'PUT') {
        this.registry.updateCertificate(name, query.get('newStatus') ?? '');
        return undefined;
      }
      if (method === 'DELETE') {
        this.registry.deleteCertificate(name, query.get('forceDelete') === 'true');
        return undefined;
      }
    }
    if (collection === 'policies' && name !== undefined && sub === undefined) {
      if (method === 'POST') {
        const document = body()['policyDocument'];
        if (typeof document !== 'string') throw invalid('policyDocument is required');
        const policy = this.registry.createPolicy(name, document);
        return { policyName: policy.policyName, policyArn: policy.policyArn, policyDocument: policy.policyDocument, policyVersionId: '1' };
      }
      if (method === 'GET') {
        const policy = this.registry.getPolicy(name);
        const created = epochSeconds(policy.creationDate);
        return {
          policyName: policy.policyName,
          policyArn: policy.policyArn,
          policyDocument: policy.policyDocument,
          defaultVersionId: '1',
          creationDate: created,
          lastModifiedDate: created,
          generationId: policy.policyArn,
        };
      }
      if (method === 'DELETE') {
        this.registry.deletePolicy(name);
        return undefined;
      }
    }
    if (collection === 'target-policies' && name !== undefined && sub === undefined && (method === 'PUT' || method === 'POST')) {
      const target = body()['target'];
      if (typeof target !== 'string') throw invalid('target is required');
      // PUT attaches, POST detaches (the SDK's AttachPolicy and DetachPolicy).
      if (method === 'PUT') this.registry.attachPolicy(name, target);
      else this.registry.detachPolicy(name, target);
      return undefined;
    }
    if (collection === 'attached-policies' && name !== undefined && sub === undefined && method === 'POST') {
      const pageSize = query.get('pageSize');
      const page = this.registry.listAttachedPolicies(name, {
        ...optional('nextToken', query.get('marker') ?? undefined),
        ...(pageSize === null ? {} : { maxResults: integer(pageSize, 'pageSize') }),
      });
      return { policies: page.items.map((policy) => ({ policyName: policy.policyName, policyArn: policy.policyArn })), ...optional('nextMarker', page.nextToken) };
    }
    throw unknownOperation(request);
  }
}

function thingAttribute(thing: ThingRecord): Record<string, unknown> {
  return {
    thingName: thing.thingName,
    ...optional('thingTypeName', thing.thingTypeName),
    thingArn: thing.thingArn,
    attributes: thing.attributes,
    version: thing.version,
  };
}

function certificateDescription(certificate: CertificateRecord): Record<string, unknown> {
  return {
    certificateArn: certificate.certificateArn,
    certificateId: certificate.certificateId,
    status: certificate.status,
    certificatePem: certificate.certificatePem,
    ownedBy: certificate.certificateArn.split(':')[4],
    creationDate: epochSeconds(certificate.creationDate),
    lastModifiedDate: epochSeconds(certificate.lastModifiedDate),
    customerVersion: 1,
    generationId: certificate.certificateId,
    certificateMode: 'DEFAULT',
  };
}

function paging(query: URLSearchParams): { nextToken?: string; maxResults?: number } {
  const maxResults = query.get('maxResults');
  return { ...optional('nextToken', query.get('nextToken') ?? undefined), ...(maxResults === null ? {} : { maxResults: integer(maxResults, 'maxResults') }) };
}

function jsonBody(body: Uint8Array): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const value = JSON.parse(Buffer.from(body).toString('utf8')) as unknown;
    if (isJsonObject(value)) return value;
  } catch {
    // answered below
  }
  throw invalid('the request body must be a JSON object');
}

function stringRecord(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isJsonObject(value) || !Object.values(value).every((item) => typeof item === 'string')) throw invalid(`${field} must map names to strings`);
  return value as Record<string, string>;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`${field} must be a string`);
  return value;
}

function integer(text: string, field: string): number {
  const value = Number(text);
  if (!Number.isInteger(value)) throw invalid(`${field} must be an integer`);
  return value;
}

function optional<K extends string, V>(key: K, value: V | undefined | null): Partial<Record<K, V>> {
  return value === undefined || value === null ? {} : ({ [key]: value } as Record<K, V>);
}

function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function unknownOperation(request: ControlPlaneRequest): IotApiError {
  return new IotApiError(404, 'UnknownOperationException', `no operation at ${request.method} /${request.segments.join('/')}`);
}
