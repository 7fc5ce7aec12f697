import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { MqttControllerTransport } from '../../adapters/mqtt/index.js';
import { connectController, type BrokerLogin } from './controller.js';
import { DevicePage } from './device-page.js';
import { FleetStore } from './fleet-store.js';
import { FleetTable } from './fleet-table.js';
import { Login } from './login.js';
// Vite puts the stylesheet in the page.
// oxlint-disable-next-line import/no-unassigned-import
import './styles.css';

/**
 * The Amora Sync dashboard: a static page that talks to the broker itself, over MQTT on
 * WebSocket with the browser-safe controller; `amora dashboard` only serves the files and a
 * `config.json` naming the broker. `?url=ws://...` overrides it.
 */
interface Session {
  readonly controller: MqttControllerTransport;
  readonly store: FleetStore;
  readonly lifetime: AbortController;
}

interface ServedConfig {
  readonly url?: string;
  readonly username?: string;
}

async function defaultLogin(): Promise<BrokerLogin> {
  const fromQuery = new URL(window.location.href).searchParams.get('url');
  const served: ServedConfig = await fetch('./config.json')
    .then((response): Promise<ServedConfig> | ServedConfig => (response.ok ? (response.json() as Promise<ServedConfig>) : {}))
    .catch((): ServedConfig => ({}));
  return { url: fromQuery ?? served.url ?? 'ws://localhost:9001', ...(served.username ? { username: served.username } : {}) };
}

function deviceFromHash(): string | undefined {
  const match = /^#\/device\/(.+)$/.exec(window.location.hash);
  return match ? decodeURIComponent(match[1]!) : undefined;
}

function App() {
  const [login, setLogin] = useState<BrokerLogin | undefined>();
  const [session, setSession] = useState<Session | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [device, setDevice] = useState(deviceFromHash());

  const connect = async (target: BrokerLogin): Promise<void> => {
    setBusy(true);
    setError(undefined);
    const lifetime = new AbortController();
    try {
      const controller = await connectController(target, lifetime.signal);
      const store = new FleetStore(controller);
      store.start();
      setSession({ controller, store, lifetime });
    } catch (failure) {
      lifetime.abort();
      setError(`${target.url}: ${failure instanceof Error ? failure.message : String(failure)}`);
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    const onHash = (): void => setDevice(deviceFromHash());
    window.addEventListener('hashchange', onHash);
    // First try without credentials: most brokers on a LAN take anonymous controllers.
    void defaultLogin().then((initial) => {
      setLogin(initial);
      void connect(initial);
    });
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const disconnect = (): void => {
    session?.store.stop();
    session?.lifetime.abort();
    void session?.controller.stop();
    setSession(undefined);
  };

  return (
    <main>
      <header class="app-header">
        <h1>Amora Sync</h1>
        {session ? (
          <span class="muted">
            <span class="presence online">connected</span> {login?.url}{' '}
            <button type="button" class="link" onClick={disconnect}>
              disconnect
            </button>
          </span>
        ) : null}
      </header>
      {!session && login ? <Login initial={login} error={error} busy={busy} onConnect={(next) => { setLogin(next); void connect(next); }} /> : null}
      {session && device ? (
        <DevicePage store={session.store} controller={session.controller} deviceId={device} onBack={() => (window.location.hash = '')} />
      ) : null}
      {session && !device ? <FleetTable store={session.store} onOpen={(id) => (window.location.hash = `#/device/${encodeURIComponent(id)}`)} /> : null}
    </main>
  );
}

render(<App />, document.getElementById('app')!);
