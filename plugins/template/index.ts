/**
 * The ws-hub transport plugin (Node-only: it uses the `ws` package), and the template for
 * third-party transport plugins. The plugin itself is the default export of plugin.ts.
 */
export { default, WsHubTransportModule } from './plugin.js';
export { wsHubOptionsSchema, type WsHubOptions, type WsHubOptionsInput } from './options.js';
export { WsHubDeviceTransport } from './device-transport.js';
export { WsHubControllerTransport } from './controller-transport.js';
export { startWsHub, type WsHubServer, type WsHubServerOptions } from './hub-server.js';
export { CLOSE_CODES, type ClientFrame, type HubFrame } from './protocol.js';
