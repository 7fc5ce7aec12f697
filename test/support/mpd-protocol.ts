import { connect, type Socket } from 'node:net';

/**
 * A minimal MPD protocol client for test checks, independent of the client under test (player/mpd), so
 * what a test reads through it is what MPD itself says. No vitest here: the benchmark uses it.
 */
export interface MpdEndpoint {
  readonly host: string;
  readonly port: number;
  readonly password?: string;
}

/** An MPD `ACK [code@index] {command} message` answer. */
export class MpdAckError extends Error {
  override readonly name = 'MpdAckError';
  constructor(readonly line: string) {
    super(line);
  }
}

/** One connection; requests are answered in order. */
export interface MpdSession {
  /** Sends one command and resolves with its answer lines (without the final OK). */
  request(command: string): Promise<string[]>;
  close(): void;
}

interface Pending {
  readonly resolve: (lines: string[]) => void;
  readonly reject: (error: Error) => void;
}

/** Connects, waits for the greeting and sends the password if there is one. */
export async function openMpdSession(endpoint: MpdEndpoint): Promise<MpdSession> {
  const socket: Socket = connect({ host: endpoint.host, port: endpoint.port });
  socket.setNoDelay(true);
  socket.setEncoding('utf8');
  const queue: Pending[] = [];
  let buffer = '';
  let lines: string[] = [];
  const failAll = (error: Error): void => {
    for (const pending of queue.splice(0)) pending.reject(error);
  };
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      if (line === 'OK' || line.startsWith('OK MPD ')) queue.shift()?.resolve(lines);
      else if (line.startsWith('ACK ')) queue.shift()?.reject(new MpdAckError(line));
      else {
        lines.push(line);
        continue;
      }
      lines = [];
    }
  });
  socket.on('error', failAll);
  socket.on('close', () => failAll(new Error('MPD connection closed')));
  const expect = (): Promise<string[]> => new Promise((resolve, reject) => queue.push({ resolve, reject }));
  const session: MpdSession = {
    request(command) {
      const answer = expect();
      socket.write(`${command}\n`);
      return answer;
    },
    close: () => void socket.destroy(),
  };
  try {
    await expect();
    if (endpoint.password !== undefined) await session.request(`password ${quoteArgument(endpoint.password)}`);
  } catch (error) {
    session.close();
    throw error;
  }
  return session;
}

/** Sends one command over a fresh connection and resolves with its answer lines. */
export async function mpdRequest(endpoint: MpdEndpoint, command: string): Promise<string[]> {
  const session = await openMpdSession(endpoint);
  try {
    return await session.request(command);
  } finally {
    session.close();
  }
}

/** Sends one command over a fresh connection and parses its `key: value` answer (first value wins). */
export async function mpdObject(endpoint: MpdEndpoint, command: string): Promise<Record<string, string>> {
  return parseMpdObject(await mpdRequest(endpoint, command));
}

export function parseMpdObject(lines: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(': ');
    if (colon > 0) result[line.slice(0, colon)] ??= line.slice(colon + 2);
  }
  return result;
}

/** Quotes one protocol argument. */
export function quoteArgument(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
