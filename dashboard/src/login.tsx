import { useState } from 'preact/hooks';
import type { BrokerLogin } from './controller.js';

/** Broker URL and, for a broker that requires them, a username and password (or a JWT as the password). */
export function Login({ initial, error, busy, onConnect }: { initial: BrokerLogin; error?: string; busy: boolean; onConnect: (login: BrokerLogin) => void }) {
  const [login, setLogin] = useState(initial);
  return (
    <form
      class="login panel"
      onSubmit={(event) => {
        event.preventDefault();
        onConnect(login);
      }}
    >
      <h2>Connect to the broker</h2>
      <label>
        WebSocket URL
        <input name="url" value={login.url} onInput={(e) => setLogin({ ...login, url: (e.target as HTMLInputElement).value })} />
      </label>
      <label>
        username <span class="muted">(if the broker requires one)</span>
        <input name="username" autocomplete="username" value={login.username ?? ''} onInput={(e) => setLogin({ ...login, username: (e.target as HTMLInputElement).value })} />
      </label>
      <label>
        password or JWT
        <input name="password" type="password" autocomplete="current-password" value={login.password ?? ''} onInput={(e) => setLogin({ ...login, password: (e.target as HTMLInputElement).value })} />
      </label>
      {error ? (
        <p class="error" role="alert" data-testid="login-error">
          {error}
        </p>
      ) : null}
      <button type="submit" disabled={busy}>
        {busy ? 'connecting…' : 'connect'}
      </button>
    </form>
  );
}
