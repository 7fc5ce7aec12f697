import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  systemClock,
} from '../../core/index.js';
import { MpdConnection } from './mpd-connection.js';
import { MpdAckError } from './mpd-errors.js';
import { MpdSocket, quote, type MpdTarget } from './mpd-socket.js';

/**
 * A scripted MPD on 127.0.0.1 for protocol edge cases a real MPD will not produce on demand (an
 * answer split mid-line, a client dropped for quietness); the real MPD is covered by the
 * integration specs. It answers line by line and records what each client sent.
 */
class ScriptedMpd {
  readonly clients: { socket: Socket; lines: string[] }[] = [];
  private readonly lineWaiters = new Set<(client: ScriptedMpd['clients'][number], line: string) => void>();
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((socket) => {
      const client = { socket, lines: [] as string[] };
      this.clients.push(client);
      socket.write('OK MPD 0.23.5\n');
      let buffer = '';
      socket.on('data', (chunk) => {
        buffer += chunk.toString();
        for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 1);
          client.lines.push(line);
          this.answer(socket, line);
          for (const waiter of this.lineWaiters) waiter(client, line);
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server!.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    for (const { socket } of this.clients) socket.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private answer(socket: Socket, line: string): void {
    if (line === 'password "secret"' || line === 'command_list_end') socket.write('OK\n');
    else if (line === 'status') {
      // Split inside a line and across the final OK, as TCP may deliver it.
      socket.write('volume: 4');
      setImmediate(() => socket.write('0\nstate: stop\nO'));
      setImmediate(() => setImmediate(() => socket.write('K\n')));
    } else if (line === 'setvol 200') socket.write('ACK [2@0] {setvol} Number too large: 200\n');
    else if (line.startsWith('password')) socket.write('ACK [3@0] {password} incorrect password\n');
    else if (line === 'changed please') {
      this.idler()?.write('changed: mixer\nchanged: player\nOK\n');
      socket.write('OK\n');
    }
    else if (line === 'ping') socket.write('OK\n');
    // More answer than was asked for: what a request that ran as two commands produces.
    else if (line === 'currentsong') socket.write('file: a.wav\nOK\nfile: stray.wav\n');
  }

  /** Resolves with the first client connecting from now on to send `line`. */
  nextToSend(line: string): Promise<ScriptedMpd['clients'][number]> {
    const since = this.clients.length;
    return new Promise((resolve) => {
      const waiter = (client: ScriptedMpd['clients'][number], sent: string): void => {
        if (sent !== line || this.clients.indexOf(client) < since) return;
        this.lineWaiters.delete(waiter);
        resolve(client);
      };
      this.lineWaiters.add(waiter);
    });
  }

  /** The client whose last line was `idle`. */
  private idler(): Socket | undefined {
    return this.clients.findLast((client) => client.lines.at(-1) === 'idle')?.socket;
  }
}

describe('MpdSocket and MpdConnection against a scripted MPD', () => {
  const mpd = new ScriptedMpd();
  const target = (password?: string): MpdTarget => ({ host: '127.0.0.1', port: mpd.port, password, connectTimeoutMs: 1000 });

  beforeAll(() => mpd.start());
  afterAll(() => mpd.stop());

  it('reassembles answers split anywhere and turns ACK lines into MpdAckError', async () => {
    const socket = await MpdSocket.open(target('secret'));
    expect(await socket.request('status')).toBe('volume: 40\nstate: stop\n');
    await expect(socket.request('setvol 200')).rejects.toBeInstanceOf(MpdAckError);
    expect(await socket.request('ping')).toBe('');
    await socket.close();
    await expect(socket.request('ping')).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('never hands an answer nobody asked for to the next caller: the out-of-step socket is closed and replaced', async () => {
    const connection = await MpdConnection.open(target(), systemClock, () => undefined);
    expect(await connection.send('currentsong', 1000)).toBe('file: a.wav\n');
    // The stray answer closed that socket; the next request goes out on a fresh one and gets its own answer.
    expect(await connection.send('status', 1000)).toBe('volume: 40\nstate: stop\n');
    expect(connection.isOpen).toBe(true);
    await connection.close();
  });

  it('refuses a command line or an argument with a control character before anything is sent', async () => {
    const socket = await MpdSocket.open(target());
    await expect(socket.request('load "nope\u0000"')).rejects.toMatchObject({ code: 'invalid_params' });
    expect(() => quote('nope\nrm Evening')).toThrowError(expect.objectContaining({ code: 'invalid_params' }) as Error);
    expect(quote('Jazz "live" \\ more')).toBe('"Jazz \\"live\\" \\\\ more"');
    expect(await socket.request('ping')).toBe('');
    await socket.close();
  });

  it('rejects a refused password with the ACK', async () => {
    await expect(MpdSocket.open(target('wrong'))).rejects.toMatchObject({ errno: 3 });
  });

  it('hands out every subsystem of an idle answer and idles again at once', async () => {
    const changes: string[] = [];
    let notified!: () => void;
    const twoChanges = new Promise<void>((resolve) => (notified = resolve));
    const connection = await MpdConnection.open(target(), systemClock, (subsystem) => {
      changes.push(subsystem);
      if (changes.length === 2) notified();
    });
    await connection.send('changed please', 1000);
    await twoChanges;
    expect(changes).toEqual(['mixer', 'player']);
    await connection.close();
    await expect(connection.send('ping', 1000)).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('reopens the command socket when MPD drops it for quietness, staying open', async () => {
    const before = mpd.clients.length;
    const idling = mpd.nextToSend('idle');
    const connection = await MpdConnection.open(target(), systemClock, () => undefined);
    const idle = await idling;
    const commands = mpd.clients.slice(before).find((client) => client !== idle);
    expect(commands?.lines).toEqual(['status']);
    const dropped = new Promise((resolve) => commands!.socket.once('close', resolve));
    commands!.socket.destroy();
    await dropped;
    expect(await connection.send('status', 1000)).toContain('volume: 40');
    expect(connection.isOpen).toBe(true);
    expect(mpd.clients.length).toBe(before + 3);

    const lost = connection.closed;
    idle!.socket.destroy();
    expect(await lost).toMatchObject({ code: 'unavailable' });
    expect(connection.isOpen).toBe(false);
  });
});
