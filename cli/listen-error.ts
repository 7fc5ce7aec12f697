import { CliError, EXIT } from './exit-codes.js';

/**
 * Turns EADDRINUSE/EACCES from a server into a message that says what to do. `flags` maps each
 * port option to the port it asked for, so the message names the option to change.
 */
export function listenError(error: unknown, host: string, flags: Readonly<Record<string, number | undefined>> = {}): Error {
  const code = (error as { code?: string }).code;
  const port = (error as { port?: number }).port;
  const flag = Object.entries(flags).find(([, requested]) => requested !== undefined && requested !== 0 && requested === port)?.[0] ?? '--port';
  if (code === 'EADDRINUSE') return new CliError(`port ${port ?? '?'} on ${host} is already in use: pass another ${flag}`, EXIT.usage);
  if (code === 'EACCES') return new CliError(`no permission to listen on port ${port ?? '?'}: pass a ${flag} above 1023`, EXIT.usage);
  return error instanceof Error ? error : new Error(String(error));
}
