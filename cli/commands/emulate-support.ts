import { Command, InvalidArgumentError, Option } from 'commander';
import { CliError, EXIT } from '../exit-codes.js';
import { listenError } from '../listen-error.js';
import { portNumber } from '../option-values.js';
import { onShutdown } from '../shutdown.js';

/** Where an emulator listens and the name its clients use; both emulators take these options. */
export interface ListenOptions {
  readonly bind: string;
  readonly hostName: string;
  readonly port: number;
  readonly httpsPort: number;
}

/** What each emulator says about its own listen options in `--help`. */
export interface ListenHelp {
  readonly hostName: string;
  readonly port: string;
  readonly httpsPort: string;
}

/**
 * A subcommand of `amora emulate` with the listen options both emulators share. Their ports
 * default to the clouds' own (8883 for MQTT over TLS, 8443 standing in for 443).
 */
export function emulatorCommand(name: string, description: string, help: ListenHelp): Command {
  return new Command(name)
    .description(description)
    .option('--bind <address>', 'address to listen on (0.0.0.0 to accept other machines)', '127.0.0.1')
    .option('--host-name <name>', help.hostName, 'localhost')
    .addOption(new Option('-p, --port <n>', `${help.port} (0 = any free port)`).default(8883).argParser(portNumber))
    .addOption(new Option('--https-port <n>', `${help.httpsPort} (0 = any free port)`).default(8443).argParser(portNumber))
    .addHelpText('after', '\nCtrl-C (SIGINT) or SIGTERM closes every connection and exits 0.');
}

/**
 * A repeatable option's parser: each value is checked when parsed, so a bad one is a usage error
 * naming the option (exit 2) rather than a failure once certificates are being made. Without a
 * default (which `--help` would print as `[]`): read the option as `?? []`.
 */
export function repeatable(isValid: (value: string) => boolean, expected: string): (value: string, previous?: readonly string[]) => string[] {
  return (value, previous = []) => {
    if (!isValid(value)) throw new InvalidArgumentError(`expected ${expected}`);
    return previous.includes(value) ? [...previous] : [...previous, value];
  };
}

/**
 * Starts an emulator, turning failures to listen into usage errors that name the option to change
 * (a port in use, a privileged port, a `--bind` address this machine does not have).
 */
export async function startListening<T>(options: ListenOptions, start: () => Promise<T>, extraPorts: Readonly<Record<string, number | undefined>> = {}): Promise<T> {
  try {
    return await start();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOTFOUND' || code === 'EADDRNOTAVAIL' || code === 'EAI_AGAIN') {
      throw new CliError(`cannot listen on ${options.bind} (${code}): pass another --bind`, EXIT.usage);
    }
    throw listenError(error, options.bind, { '--port': options.port, '--https-port': options.httpsPort, ...extraPorts });
  }
}

/** Prints the last line of the summary and closes the emulator on SIGINT/SIGTERM (exit 0). */
export function serveUntilSignal(emulator: { close(): Promise<void> }): void {
  out('Ctrl-C stops the emulator.');
  onShutdown(() => emulator.close());
}

/** One line of command output on stdout (logs go to stderr). */
export function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** `export NAME=value` pairs for a POSIX shell, quoting values that need it. */
export function exportLine(variables: Readonly<Record<string, string | number>>): string {
  const pairs = Object.entries(variables).map(([name, value]) => `${name}=${shellQuote(String(value))}`);
  return `export ${pairs.join(' ')}`;
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}
