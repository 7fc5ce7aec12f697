// `amora-sync/client`: the AmoraSDK guide's AmoraClient on any transport (Node: it loads the cloud SDKs on demand).
export {
  AmoraClient,
  type AmoraClientOptions,
  type ClientRefusal,
  type CommandResponse,
  type ConnectionStatusCallback,
  type RefusalCallback,
  type StatusUpdateCallback,
} from './amora-client.js';
export { AZURE_CA_ENV, azureIotHubTransport, awsIotTransport, mqttTransport, type ClientTransport } from './client-transports.js';
export type { CommandResult } from './command-messages.js';
export { playerStatusOf, playlistsOf, UNKNOWN_STATUS, type PlayerStatus } from './player-status.js';
