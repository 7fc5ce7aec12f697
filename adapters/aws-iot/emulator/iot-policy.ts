import { isJsonObject } from '../../../core/index.js';

/**
 * AWS IoT policy documents, parsed and evaluated the way AWS IoT's policy engine decides MQTT
 * actions: a request is allowed when some Allow statement matches its action and resource and no
 * Deny statement does. Action and resource patterns use `*` (any run of characters) and `?` (one
 * character). Policy variables `${iot:Connection.Thing.ThingName}`, `${iot:ClientId}` and
 * `${iot:Connection.Thing.Attributes[name]}` are substituted; a pattern whose variable cannot be
 * resolved (no thing attached, no such attribute) matches nothing, as on AWS. Statements with a
 * `Condition` are not evaluated (neither allow nor deny): the emulator supports no condition keys.
 */

export type IotAction = 'iot:Connect' | 'iot:Publish' | 'iot:RetainPublish' | 'iot:Subscribe' | 'iot:Receive';

interface Statement {
  readonly effect: 'Allow' | 'Deny';
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

/** A parsed policy document. */
export interface IotPolicyDocument {
  readonly statements: readonly Statement[];
}

/** What the policy variables resolve to for one connection. */
export interface PolicyContext {
  readonly clientId: string;
  readonly thingName?: string;
  readonly thingAttributes?: Readonly<Record<string, string>>;
}

/** Thrown for a document AWS would refuse with MalformedPolicyException. */
export class MalformedPolicyError extends Error {
  override readonly name = 'MalformedPolicyError';
}

/** Parses and checks a policy document (JSON text); throws MalformedPolicyError. */
export function parsePolicyDocument(text: string): IotPolicyDocument {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new MalformedPolicyError('the policy document is not valid JSON');
  }
  if (!isJsonObject(document)) throw new MalformedPolicyError('the policy document must be a JSON object');
  const raw = document['Statement'];
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  if (list.length === 0) throw new MalformedPolicyError('the policy document has no Statement');
  const statements: Statement[] = [];
  for (const statement of list) {
    if (!isJsonObject(statement)) throw new MalformedPolicyError('each Statement must be an object');
    const effect = statement['Effect'];
    if (effect !== 'Allow' && effect !== 'Deny') throw new MalformedPolicyError('each Statement needs an Effect of Allow or Deny');
    const actions = stringList(statement['Action'], 'Action');
    const resources = stringList(statement['Resource'], 'Resource');
    if (statement['Condition'] !== undefined) continue;
    statements.push({ effect, actions, resources });
  }
  return { statements };
}

/**
 * Decides one MQTT action on `resource` (a full ARN such as
 * `arn:aws:iot:us-east-1:123456789012:topic/a/b`) under all the policies a certificate has.
 */
export function isAllowed(policies: readonly IotPolicyDocument[], action: IotAction, resource: string, context: PolicyContext): boolean {
  let allowed = false;
  for (const policy of policies) {
    for (const statement of policy.statements) {
      // Action names are case-insensitive on AWS; resources are not.
      if (!statement.actions.some((pattern) => matches(pattern, action, context, true))) continue;
      if (!statement.resources.some((pattern) => matches(pattern, resource, context, false))) continue;
      if (statement.effect === 'Deny') return false;
      allowed = true;
    }
  }
  return allowed;
}

function matches(pattern: string, value: string, context: PolicyContext, ignoreCase: boolean): boolean {
  let regex = '';
  // Wildcards count only in the pattern's own text; a substituted value matches literally.
  for (const [index, part] of pattern.split(/\$\{([^}]+)\}/).entries()) {
    if (index % 2 === 1) {
      const resolved = variable(part.trim(), context);
      if (resolved === undefined) return false;
      regex += escapeRegex(resolved);
    } else {
      regex += escapeRegex(part).replace(/\\\*/g, '.*').replace(/\\\?/g, '.');
    }
  }
  return new RegExp(`^${regex}$`, ignoreCase ? 'i' : '').test(value);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function variable(name: string, context: PolicyContext): string | undefined {
  if (name === 'iot:ClientId') return context.clientId;
  if (name === 'iot:Connection.Thing.ThingName') return context.thingName;
  if (name === 'iot:Connection.Thing.IsAttached') return context.thingName === undefined ? 'false' : 'true';
  const attribute = /^iot:Connection\.Thing\.Attributes\[([^\]]+)\]$/.exec(name);
  if (attribute) return context.thingAttributes?.[attribute[1]!];
  // Literal escapes AWS defines for characters that have a meaning in patterns.
  if (name === '*' || name === '?' || name === '$') return name;
  return undefined;
}

function stringList(value: unknown, field: string): readonly string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((item) => typeof item === 'string')) {
    throw new MalformedPolicyError(`each Statement needs an ${field} (a string or a list of strings)`);
  }
  return list as string[];
}
