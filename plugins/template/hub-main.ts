// Node-only program: runs a ws-hub until Ctrl-C.
//   node dist/plugins/template/hub-main.js [--port 8787] [--host 127.0.0.1]
// The token, when wanted, comes from WS_HUB_TOKEN (a secret has no place on a command line).
import { parseArgs } from 'node:util';
import { startWsHub } from './hub-server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env['WS_HUB_PORT'] ?? '8787' },
    host: { type: 'string', default: process.env['WS_HUB_HOST'] ?? '127.0.0.1' },
  },
});
const token = process.env['WS_HUB_TOKEN'] || undefined;

const hub = await startWsHub({ port: Number(values.port), host: values.host, ...(token ? { token } : {}) });
console.log(`ws-hub listening on ${hub.url}${token ? ' (token required)' : ''}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void hub.close().then(() => process.exit(0));
  });
}
