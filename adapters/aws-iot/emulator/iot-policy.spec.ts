import { describe, expect, it } from 'vitest';
import { isAllowed, MalformedPolicyError, parsePolicyDocument } from './iot-policy.js';

const ARN = 'arn:aws:iot:us-east-1:123456789012';

function policy(...statements: object[]) {
  return parsePolicyDocument(JSON.stringify({ Version: '2012-10-17', Statement: statements }));
}

describe('AWS IoT policy evaluation', () => {
  const ownShadow = policy(
    { Effect: 'Allow', Action: 'iot:Connect', Resource: `${ARN}:client/\${iot:Connection.Thing.ThingName}` },
    { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: 'arn:aws:iot:*:*:topic/$aws/things/${iot:Connection.Thing.ThingName}/shadow/*' },
  );
  const device = { clientId: 'player-1', thingName: 'player-1' };

  it("substitutes the connection's thing name and matches * and ? in the pattern", () => {
    expect(isAllowed([ownShadow], 'iot:Connect', `${ARN}:client/player-1`, device)).toBe(true);
    expect(isAllowed([ownShadow], 'iot:Connect', `${ARN}:client/player-2`, device)).toBe(false);
    expect(isAllowed([ownShadow], 'iot:Publish', `${ARN}:topic/$aws/things/player-1/shadow/update`, device)).toBe(true);
    expect(isAllowed([ownShadow], 'iot:Publish', `${ARN}:topic/$aws/things/player-2/shadow/update`, device)).toBe(false);
    expect(isAllowed([ownShadow], 'iot:Subscribe', `${ARN}:topicfilter/$aws/things/player-1/shadow/#`, device)).toBe(false);
    const single = policy({ Effect: 'Allow', Action: 'iot:*', Resource: `${ARN}:topic/room-?` });
    expect(isAllowed([single], 'iot:Publish', `${ARN}:topic/room-1`, device)).toBe(true);
    expect(isAllowed([single], 'iot:Publish', `${ARN}:topic/room-12`, device)).toBe(false);
  });

  it('matches nothing where a variable cannot be resolved, and lets a Deny win over an Allow', () => {
    expect(isAllowed([ownShadow], 'iot:Connect', `${ARN}:client/player-1`, { clientId: 'player-1' })).toBe(false);
    const deny = policy({ Effect: 'Deny', Action: 'iot:Publish', Resource: '*' });
    expect(isAllowed([ownShadow, deny], 'iot:Publish', `${ARN}:topic/$aws/things/player-1/shadow/update`, device)).toBe(false);
    expect(isAllowed([ownShadow, deny], 'iot:Connect', `${ARN}:client/player-1`, device)).toBe(true);
    // Thing attributes resolve from the connection's thing; without them the pattern matches nothing.
    const byAttribute = policy({ Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}:topic/site/\${iot:Connection.Thing.Attributes[site]}/*` });
    expect(isAllowed([byAttribute], 'iot:Publish', `${ARN}:topic/site/berlin/a`, { ...device, thingAttributes: { site: 'berlin' } })).toBe(true);
    expect(isAllowed([byAttribute], 'iot:Publish', `${ARN}:topic/site/berlin/a`, device)).toBe(false);
  });

  it('refuses documents AWS would call malformed', () => {
    expect(() => parsePolicyDocument('{')).toThrow(MalformedPolicyError);
    expect(() => parsePolicyDocument('{"Statement": []}')).toThrow(/no Statement/);
    expect(() => parsePolicyDocument('{"Statement": [{"Effect": "Maybe", "Action": "iot:*", "Resource": "*"}]}')).toThrow(/Effect/);
    expect(() => parsePolicyDocument('{"Statement": [{"Effect": "Allow", "Resource": "*"}]}')).toThrow(/Action/);
  });
});
