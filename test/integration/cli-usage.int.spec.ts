import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt, ROOT } from './cli-build.js';
import { runCli } from './cli-process.js';

/** Help, version and usage errors: what a user sees before anything connects. */
describe('amora usage', () => {
  beforeAll(async () => {
    await ensureCliBuilt();
  });

  it.each([
    [['agent'], ['--config', '--log-level', 'SIGTERM']],
    [['broker'], ['--port', '--ws-port', '--host']],
    [['ctl'], ['<device>', '<command>', 'key=value', '--timeout', '--json', '--id', '--url', '--prefix', '--config', '--connect-timeout', 'Exit status']],
    [['watch'], ['[device]', '--json', '--url', '--prefix', '--config']],
    [['demo'], ['--port', '--ws-port', '--devices']],
    [['emulate'], ['azure', 'aws']],
    [['emulate', 'azure'], ['--port', '--https-port', '--device']],
    [['emulate', 'aws'], ['--port', '--https-port', '--thing']],
    [['bench'], ['--samples', '--only', '--json']],
    [['migrate'], ['plan', 'apply', 'status', 'docs/migration.md']],
    [['migrate', 'plan'], ['--from', '--to', '--devices', '--json', '--rate', '--azure-connection-string', '--aws-region', '--shadow-name']],
    [['migrate', 'apply'], ['--out', '--state', '--dry-run', '--concurrency', '--device-dir', '--policy-name']],
    [['migrate', 'status'], ['--config', '--settle', '--watch', '--json', 'Exit status']],
  ])('amora %j --help exits 0 and lists its options', async (command, mentions) => {
    const result = await runCli([...command, '--help']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(new RegExp(`^Usage: amora ${command.join(' ')} `));
    for (const mention of mentions) expect(result.stdout).toContain(mention);
  });

  it('amora --help lists every command', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['agent', 'broker', 'ctl', 'watch', 'demo', 'emulate', 'migrate', 'bench']) expect(result.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it('amora --version prints the package version', async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(version);
  });

  it('amora without a command shows the help on stderr and exits 2', async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Usage: amora');
  });

  it.each([
    [['bogus'], ["unknown command 'bogus'", 'amora --help']],
    [['ctll'], ['Did you mean ctl?']],
    [['ctl', '--bogus'], ["unknown option '--bogus'", 'amora ctl --help']],
    [['watch', '--jsn'], ["unknown option '--jsn'", 'Did you mean --json?']],
    [['ctl'], ["missing required argument 'device'"]],
    [['ctl', 'player-001', 'play', '--timeout', 'soon'], ["'--timeout <ms>' argument 'soon' is invalid", 'milliseconds']],
    [['demo', '--devices', '0'], ["'-n, --devices <n>' argument '0' is invalid"]],
    [['broker', '--port', '65536'], ["'-p, --port <n>' argument '65536' is invalid", 'port number']],
    [['agent', '--log-level', 'loud'], ["'--log-level <level>' argument 'loud' is invalid", 'info']],
    [['emulate', 'gcp'], ["unknown command 'gcp'"]],
    [['migrate', 'plan'], ["required option '--from <cloud>' not specified"]],
    [['migrate', 'plan', '--from', 'gcp'], ["'--from <cloud>' argument 'gcp' is invalid", 'azure or aws']],
    [['migrate', 'plan', '--from', 'azure', '--to', 'azure'], ['--from and --to are both azure']],
    [['migrate', 'plan', '--from', 'azure'], ['--azure-connection-string or AMORA_SERVICE_CONNECTION_STRING']],
    [['migrate', 'status', '--from', 'aws'], ['status needs --config']],
  ])('amora %j exits 2 with a helpful message', async (args, mentions) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    for (const mention of mentions) expect(result.stderr).toContain(mention);
  });

  it.each([
    [['player-001', 'setVolume', 'volume'], 'expected key=value, got "volume"'],
    [['player-001', 'setVolume', '__proto__={"polluted":true}'], '"__proto__" is not allowed as a parameter name'],
  ])('ctl %j exits 2 before connecting anywhere', async (args, message) => {
    // Port 1 would refuse (exit 3): exit 2 shows the parameters were checked first.
    const result = await runCli(['ctl', ...args, '--url', 'mqtt://127.0.0.1:1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`amora: ${message}`);
  });

  it('ctl exits 2 naming --url when it is not a broker URL', async () => {
    const result = await runCli(['ctl', 'player-001', 'play', '--url', 'localhost:1883']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--url localhost:1883');
    expect(result.stderr).toContain('expected a broker URL');
  });
});
