import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt, ROOT } from './cli-build.js';
import { runCli } from './cli-process.js';

/** `amora config check|schema|init` as a user runs them, and the schema an editor reads. */
describe('amora config', () => {
  let dir: string;
  let schema: Record<string, unknown>;

  beforeAll(async () => {
    await ensureCliBuilt();
    dir = await mkdtemp(join(tmpdir(), 'amora-cli-config-'));
    const printed = await runCli(['config', 'schema']);
    if (printed.code !== 0) throw new Error(`amora config schema failed: ${printed.stderr}`);
    schema = JSON.parse(printed.stdout) as Record<string, unknown>;
  }, 60_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('init writes a starter that check passes (exit 0), and will not overwrite it without --force', async () => {
    const file = join(dir, 'agent.yaml');
    expect((await runCli(['config', 'init', 'mqtt', '--output', file])).code).toBe(0);
    const checked = await runCli(['config', 'check', file]);
    expect(checked).toMatchObject({ code: 0, stdout: `${file}: ok (device player-001; transports mqtt; player virtual)` });
    const again = await runCli(['config', 'init', 'aws', '--output', file]);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`amora: ${file} exists: pass --force to overwrite it`);
    expect((await runCli(['config', 'init', 'aws', '--output', file, '--force'])).code).toBe(0);
    expect(await readFile(file, 'utf8')).toContain('kind: aws-iot');
  });

  it('check lists every problem with its key path and exits 2; --json gives the same as data', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, `device: { id: "bad id" }\ntransports:\n  - kind: mqtt\n    url: 42\n    password: hunter2-secret\n    tls: { ca: ./ca.pem }\n`);
    const result = await runCli(['config', 'check', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `${file}: 3 problems\n  device.id: expected a device id of letters, digits, ".", "_" or "-"\n  transports[0].url: Invalid input: expected string, received number\n  transports[0].tls.ca: file not found: ${join(dir, 'ca.pem')}`,
    );
    const json = await runCli(['config', 'check', file, '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, problems: [{ path: 'device.id' }, { path: 'transports[0].url' }, { path: 'transports[0].tls.ca' }] });
    expect(json.stdout + json.stderr + result.stderr).not.toContain('hunter2-secret');
  });

  it('the schema is valid JSON Schema that accepts every starter and flags what check flags', async () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    for (const kind of ['mqtt', 'azure', 'aws', 'migration']) {
      const starter = parseYaml((await runCli(['config', 'init', kind])).stdout) as unknown;
      expect({ kind, valid: validate(starter), errors: validate.errors ?? null }).toEqual({ kind, valid: true, errors: null });
    }
    expect(validate({ device: { id: 'x' }, transports: [{ kind: 'mqtt', url: 42 }] })).toBe(false);
    expect(validate.errors?.some((e) => e.instancePath === '/transports/0/url')).toBe(true);
    expect(validate({ device: { id: 'x' }, transports: [{ kind: 'mqtt', url: 'mqtt://h', rateLimit: { perSecond: 5 }, keepaliveSeconds: '${KEEPALIVE}' }] })).toBe(true);
    expect(validate({ device: { id: 'x' }, transports: [{ kind: 'mqtt', urll: 'mqtt://h' }] })).toBe(false);
  });

  it('the package ships the same schema, built by npm run build', async () => {
    const shipped = JSON.parse(await readFile(join(ROOT, 'schema', 'amora-config.schema.json'), 'utf8')) as unknown;
    expect(shipped).toEqual(schema);
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { files: string[]; exports: Record<string, string> };
    expect(pkg.files).toContain('schema');
    expect(pkg.exports['./schema/amora-config.schema.json']).toBe('./schema/amora-config.schema.json');
  });
});
