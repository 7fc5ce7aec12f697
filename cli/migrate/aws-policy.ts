/**
 * The least-privilege IoT policy `apply` attaches to every certificate it creates (the one in
 * docs/aws-iot.md): a device connects only as its own thing and touches only its own shadow and
 * its own Amora topics. `${iot:Connection.Thing.ThingName}` is the thing the certificate is
 * attached to, which is why the client id must be the thing name (the aws-iot kind's default).
 * Region and account are wildcards: the policy is only ever evaluated in the account it lives in.
 */
const arn = (resource: string): string => `arn:aws:iot:*:*:${resource}`;

export function devicePolicyDocument(topicPrefix: string): string {
  const thing = '${iot:Connection.Thing.ThingName}';
  const shadow = `$aws/things/${thing}/shadow/*`;
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 'iot:Connect', Resource: arn(`client/${thing}`) },
      {
        Effect: 'Allow',
        Action: ['iot:Publish', 'iot:RetainPublish'],
        Resource: [arn(`topic/${shadow}`), arn(`topic/${topicPrefix}/devices/${thing}/*`), arn(`topic/${topicPrefix}/telemetry/${thing}/*`)],
      },
      {
        Effect: 'Allow',
        Action: 'iot:Subscribe',
        Resource: [arn(`topicfilter/${shadow}`), arn(`topicfilter/${topicPrefix}/devices/${thing}/commands`), arn(`topicfilter/${topicPrefix}/devices/${thing}/connection`)],
      },
      {
        Effect: 'Allow',
        Action: 'iot:Receive',
        Resource: [arn(`topic/${shadow}`), arn(`topic/${topicPrefix}/devices/${thing}/commands`), arn(`topic/${topicPrefix}/devices/${thing}/connection`)],
      },
    ],
  });
}
