import { useState } from 'preact/hooks';
import type { MqttControllerTransport } from '../../adapters/mqtt/index.js';
import type { CommandResponse, JsonObject } from '../../core/index.js';
import type { FleetStore } from './fleet-store.js';
import { HistoryChart } from './history-chart.js';
import { ago } from './format.js';
import { useStore } from './use-store.js';

/** One answer shown under the controls: what was sent, what came back, how long it took. */
interface Answer {
  readonly id: number;
  readonly command: string;
  readonly params: JsonObject;
  readonly latencyMs: number;
  readonly response?: CommandResponse;
  /** No answer at all (timeout, controller offline). */
  readonly failure?: string;
}

let answerSeq = 0;

/** One device: controls, the answers they got, a live chart and the raw state. */
export function DevicePage({ store, controller, deviceId, onBack }: { store: FleetStore; controller: MqttControllerTransport; deviceId: string; onBack: () => void }) {
  const revision = useStore(store);
  const [answers, setAnswers] = useState<readonly Answer[]>([]);
  const [volume, setVolume] = useState<number | undefined>(undefined);
  const [custom, setCustom] = useState({ command: 'setVolume', params: '{"volume": 150}' });
  const row = store.row(deviceId);
  const state = row?.state?.state;
  const playlists = Array.isArray(state?.['playlists']) ? (state['playlists'] as string[]) : [];
  const currentPlaylist = ((state?.['playback'] as JsonObject | undefined)?.['playlist'] as string | null | undefined) ?? '';

  const send = async (command: string, params: JsonObject = {}): Promise<void> => {
    const started = performance.now();
    let answer: Answer;
    try {
      const response = await controller.invoke(deviceId, command, params, { timeoutMs: 10_000 });
      answer = { id: ++answerSeq, command, params, latencyMs: performance.now() - started, response };
    } catch (error) {
      answer = { id: ++answerSeq, command, params, latencyMs: performance.now() - started, failure: error instanceof Error ? error.message : String(error) };
    }
    store.recordCommand(deviceId, command, answer.latencyMs, answer.response?.success === true);
    setAnswers((previous) => [answer, ...previous].slice(0, 20));
  };

  const sendCustom = (event: Event): void => {
    event.preventDefault();
    let params: JsonObject;
    try {
      params = JSON.parse(custom.params || '{}') as JsonObject;
    } catch {
      setAnswers((previous) => [{ id: ++answerSeq, command: custom.command, params: {}, latencyMs: 0, failure: 'params are not valid JSON' }, ...previous]);
      return;
    }
    void send(custom.command, params);
  };

  const shownVolume = volume ?? row?.volume ?? 0;
  return (
    <section class="device">
      <header class="toolbar">
        <button type="button" class="link" onClick={onBack}>
          ← fleet
        </button>
        <h2 data-testid="device-title">{deviceId}</h2>
        <span class={`presence ${row?.presence ?? 'unknown'}`}>{row?.presence ?? 'unknown'}</span>
        <span class="muted">
          {row?.version ? `v${row.version}` : ''} · last seen {ago(row?.lastSeen, Date.now())}
        </span>
      </header>
      <div class="panels">
        <div class="panel">
          <h3>Playback</h3>
          <p class="now">
            <strong data-testid="device-playback">{row?.playback ?? '–'}</strong> {row?.track ? `· ${row.track}` : ''}
          </p>
          <div class="buttons">
            <button type="button" onClick={() => void send('previous')}>previous</button>
            <button type="button" onClick={() => void send('play')}>play</button>
            <button type="button" onClick={() => void send('pause')}>pause</button>
            <button type="button" onClick={() => void send('next')}>next</button>
          </div>
          <label class="volume">
            volume <output data-testid="device-volume">{row?.volume ?? '–'}</output>
            <input
              type="range"
              min={0}
              max={100}
              value={shownVolume}
              data-testid="volume-slider"
              onInput={(e) => setVolume(Number((e.target as HTMLInputElement).value))}
              onChange={(e) => {
                const value = Number((e.target as HTMLInputElement).value);
                void send('setVolume', { volume: value }).finally(() => setVolume(undefined));
              }}
            />
          </label>
          <label>
            playlist{' '}
            <select data-testid="playlist-picker" value={currentPlaylist} onChange={(e) => void send('loadPlaylist', { playlist: (e.target as HTMLSelectElement).value })}>
              <option value="" disabled>
                choose…
              </option>
              {playlists.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </label>
          <form class="custom" onSubmit={sendCustom}>
            <h3>Any command</h3>
            <input aria-label="command" data-testid="custom-command" value={custom.command} onInput={(e) => setCustom({ ...custom, command: (e.target as HTMLInputElement).value })} />
            <input aria-label="params (JSON)" data-testid="custom-params" value={custom.params} onInput={(e) => setCustom({ ...custom, params: (e.target as HTMLInputElement).value })} />
            <button type="submit" data-testid="custom-send">
              send
            </button>
          </form>
        </div>
        <div class="panel">
          <h3>Answers</h3>
          <ol class="answers" data-testid="answers">
            {answers.map((answer) => (
              <li key={answer.id} class={answer.response?.success ? 'ok' : 'error'}>
                <code>
                  {answer.command} {JSON.stringify(answer.params)}
                </code>{' '}
                → {answer.response?.success ? 'ok' : answer.response ? <strong class="code">{answer.response.error.code}</strong> : <strong class="code">no answer</strong>}{' '}
                <span class="muted">{answer.response && !answer.response.success ? answer.response.error.message : (answer.failure ?? '')}</span>{' '}
                <span class="muted">{Math.round(answer.latencyMs)} ms</span>
              </li>
            ))}
          </ol>
          <HistoryChart points={store.history(deviceId)} revision={revision} />
        </div>
      </div>
      <details class="panel raw" open>
        <summary>Raw state (version {row?.state?.version ?? '–'})</summary>
        <pre data-testid="raw-state">{row?.state ? JSON.stringify(row.state, null, 2) : 'no state yet'}</pre>
      </details>
    </section>
  );
}
