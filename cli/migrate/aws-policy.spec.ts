import { describe, expect, it } from 'vitest';
import { isAllowed, parsePolicyDocument } from '../../adapters/aws-iot/emulator/iot-policy.js';
import { devicePolicyDocument } from './aws-policy.js';

const arn = (resource: string): string => `arn:aws:iot:eu-west-1:123456789012:${resource}`;

describe('devicePolicyDocument', () => {
  const policy = parsePolicyDocument(devicePolicyDocument('amora'));
  const as = { clientId: 'player-001', thingName: 'player-001' };

  it("lets a thing connect as itself and use its own shadow and topics", () => {
    expect(isAllowed([policy], 'iot:Connect', arn('client/player-001'), as)).toBe(true);
    expect(isAllowed([policy], 'iot:Publish', arn('topic/$aws/things/player-001/shadow/update'), as)).toBe(true);
    expect(isAllowed([policy], 'iot:Publish', arn('topic/amora/devices/player-001/responses'), as)).toBe(true);
    expect(isAllowed([policy], 'iot:Publish', arn('topic/amora/telemetry/player-001/playerStatus'), as)).toBe(true);
    expect(isAllowed([policy], 'iot:Subscribe', arn('topicfilter/amora/devices/player-001/commands'), as)).toBe(true);
    expect(isAllowed([policy], 'iot:Receive', arn('topic/$aws/things/player-001/shadow/name/player/update/delta'), as)).toBe(true);
  });

  it("keeps it away from every other thing's connection, shadow and topics", () => {
    expect(isAllowed([policy], 'iot:Connect', arn('client/player-002'), as)).toBe(false);
    expect(isAllowed([policy], 'iot:Publish', arn('topic/$aws/things/player-002/shadow/update'), as)).toBe(false);
    expect(isAllowed([policy], 'iot:Publish', arn('topic/amora/devices/player-002/commands'), as)).toBe(false);
    expect(isAllowed([policy], 'iot:Subscribe', arn('topicfilter/amora/devices/+/commands'), as)).toBe(false);
    expect(isAllowed([policy], 'iot:Subscribe', arn('topicfilter/amora/devices/player-002/commands'), as)).toBe(false);
  });
});
