import { DescribeEndpointCommand, IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { awsHttpsAgent } from '../../adapters/aws-iot/data-plane.js';

/** How `amora migrate` reaches an AWS account (credentials come from the SDK's default chain). */
export interface AwsSettings {
  readonly region: string;
  /** Control-plane URL (CreateThing…); default the region's. The emulator prints its own. */
  readonly controlEndpoint?: string;
  /** Data-plane URL (shadows); default `https://` + DescribeEndpoint(iot:Data-ATS). */
  readonly dataEndpoint?: string;
  /** `host[:port]` devices connect to; default DescribeEndpoint(iot:Data-ATS). */
  readonly deviceEndpoint?: string;
  /** A CA to trust besides the system's (the emulator's), PEM text and its file. */
  readonly caPem?: string;
  readonly caPath?: string;
  /** The named shadow desired state is read from or written to; classic when absent. */
  readonly shadowName?: string;
  readonly policyName: string;
  readonly topicPrefix: string;
}

export interface AwsClients {
  readonly control: IoTClient;
  readonly data: IoTDataPlaneClient;
  /** `host[:port]` of the device endpoint. */
  readonly deviceEndpoint: string;
  /** For messages and the state file: region and endpoint, nothing secret. */
  readonly where: string;
  close(): void;
}

export async function openAwsClients(settings: AwsSettings): Promise<AwsClients> {
  const httpsAgent = awsHttpsAgent(settings.caPem);
  const common = { region: settings.region, requestHandler: { httpsAgent } };
  const control = new IoTClient({ ...common, ...(settings.controlEndpoint ? { endpoint: settings.controlEndpoint } : {}) });
  let deviceEndpoint = settings.deviceEndpoint;
  if (deviceEndpoint === undefined || settings.dataEndpoint === undefined) {
    const { endpointAddress } = await control.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));
    if (!endpointAddress) throw new Error('DescribeEndpoint returned no iot:Data-ATS endpoint');
    deviceEndpoint ??= endpointAddress;
  }
  const data = new IoTDataPlaneClient({ ...common, endpoint: settings.dataEndpoint ?? `https://${deviceEndpoint.replace(/:\d+$/, '')}` });
  return {
    control,
    data,
    deviceEndpoint,
    where: `${settings.region} ${deviceEndpoint}`,
    close() {
      control.destroy();
      data.destroy();
      httpsAgent.destroy();
    },
  };
}
