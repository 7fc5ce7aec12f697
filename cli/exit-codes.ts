/** Process exit codes of the `amora` CLI, documented in docs/cli.md. */
export const EXIT = {
  ok: 0,
  /** The device answered with an error response. */
  commandFailed: 1,
  /** Bad arguments or configuration. */
  usage: 2,
  /** The broker or cloud could not be reached. */
  unreachable: 3,
  /** No answer within --timeout. */
  timeout: 4,
  /** `amora agent`: every transport refused the credentials, so nothing will ever connect. */
  credentialsRefused: 5,
} as const;

/** An error the CLI reports as one clear line and a specific exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(message: string, readonly exitCode: number = EXIT.usage) {
    super(message);
  }
}
