import { CliError, EXIT } from './exit-codes.js';

/** Turns EADDRINUSE/EACCES from a server into a message that says what to do. */
export function listenError(error: unknown, host: string): Error {
  const code = (error as { code?: string }).code;
  const port = (error as { port?: number }).port;
  if (code === 'EADDRINUSE') return new CliError(`port ${port ?? '?'} on ${host} is already in use: pass another --port`, EXIT.usage);
  if (code === 'EACCES') return new CliError(`no permission to listen on port ${port ?? '?'}: use a port above 1023`, EXIT.usage);
  return error instanceof Error ? error : new Error(String(error));
}
