import { Container } from 'inversify';
import type { z } from 'zod';
import { describeIssue, describeZodError } from '../config/zod-issues.js';
import { redactString } from '../config/redact.js';
import { PluginLoadError, isAmoraError } from '../errors.js';
import { moduleUrlFor } from './module-url.js';
import type { AmoraPlugin, PluginKind } from './plugin.js';
import { TOKENS } from './tokens.js';
import { validatePlugin } from './validate-plugin.js';

/** A kind found in the registry with the plugin that provides it. */
export interface ResolvedKind {
  readonly plugin: AmoraPlugin;
  readonly kind: PluginKind;
  readonly kindName: string;
}

export interface PluginRegistryOptions {
  /** Imports a module by URL or package name. Default: the runtime's dynamic `import()`. */
  readonly importModule?: (specifier: string) => Promise<unknown>;
  /**
   * Resolves a package name from the config file's directory to an importable URL, or undefined
   * to leave it to `import()` (which resolves from core's own location). Node: nodePackageResolver.
   */
  readonly resolvePackage?: (name: string, baseDir: string) => string | undefined;
}

export interface LoadPluginOptions {
  /** The config file's directory: relative specifiers (and, with resolvePackage, packages) resolve from it. */
  readonly baseDir?: string;
}

type Token = symbol;

/**
 * Knows the plugins of an agent and builds their kinds. Built-in kinds can be registered lazily
 * (a loader per kind name) so an MQTT-only agent never imports a cloud SDK. Every failure is a
 * PluginLoadError naming the plugin (or its specifier), the kind and the cause.
 */
export class PluginRegistry {
  private readonly kinds = new Map<string, ResolvedKind>();
  private readonly lazy = new Map<string, () => Promise<AmoraPlugin>>();
  private readonly loading = new Map<string, Promise<ResolvedKind>>();
  private readonly importModule: (specifier: string) => Promise<unknown>;
  private readonly resolvePackage: PluginRegistryOptions['resolvePackage'];

  constructor(options: PluginRegistryOptions = {}) {
    this.importModule = options.importModule ?? ((specifier) => import(/* @vite-ignore */ specifier) as Promise<unknown>);
    this.resolvePackage = options.resolvePackage;
  }

  /** Every kind name known, loaded or lazy, sorted. */
  get kindNames(): readonly string[] {
    return [...new Set([...this.kinds.keys(), ...this.lazy.keys()])].toSorted();
  }

  /**
   * Validates a plugin's shape and API version and registers its kinds. Registering the same
   * plugin again is a no-op; a kind already provided by another loaded plugin is refused. A kind
   * only registered lazily (a built-in not imported yet) is taken over: the explicit plugin wins.
   */
  register(candidate: unknown, source = 'plugin'): AmoraPlugin {
    const plugin = validatePlugin(candidate, source);
    for (const kindName of Object.keys(plugin.kinds)) {
      const existing = this.kinds.get(kindName);
      if (existing && existing.plugin.name !== plugin.name) {
        throw new PluginLoadError(plugin.name, kindName, `kind is already provided by plugin "${existing.plugin.name}"`);
      }
    }
    for (const [kindName, kind] of Object.entries(plugin.kinds)) {
      this.kinds.set(kindName, { plugin, kind, kindName });
      this.lazy.delete(kindName);
    }
    return plugin;
  }

  /** Registers a kind whose plugin is imported on first use (built-ins mapped by the CLI). */
  registerLazy(kindName: string, loader: () => Promise<AmoraPlugin>): void {
    if (!this.kinds.has(kindName)) this.lazy.set(kindName, loader);
  }

  /**
   * Imports a plugin module (a package name, a path relative to `baseDir`, or a URL) and
   * registers its default export.
   */
  async loadPlugin(specifier: string, options: LoadPluginOptions = {}): Promise<AmoraPlugin> {
    let namespace: unknown;
    try {
      const target = this.moduleTarget(specifier, options.baseDir);
      namespace = await this.importModule(target);
    } catch (error) {
      throw new PluginLoadError(specifier, undefined, `cannot import module: ${causeMessage(error)}`, { cause: error });
    }
    return this.register(defaultExport(namespace), specifier);
  }

  /** The kind with its plugin; a PluginLoadError lists the known kinds when it is unknown or not loaded yet. */
  resolveKind(kindName: string): ResolvedKind {
    const resolved = this.kinds.get(kindName);
    if (resolved) return resolved;
    if (this.lazy.has(kindName)) {
      throw new PluginLoadError(`built-in ${kindName}`, kindName, 'kind is registered lazily and not loaded yet (use loadKind())');
    }
    throw this.unknownKind(kindName);
  }

  /** Like resolveKind, importing a lazily registered kind's plugin first. */
  async loadKind(kindName: string): Promise<ResolvedKind> {
    const resolved = this.kinds.get(kindName);
    if (resolved) return resolved;
    const loader = this.lazy.get(kindName);
    if (!loader) throw this.unknownKind(kindName);
    let loading = this.loading.get(kindName);
    if (!loading) {
      loading = this.loadLazy(kindName, loader);
      this.loading.set(kindName, loading);
      // A failed import may succeed later (e.g. after installing a package): do not cache it.
      loading.catch(() => this.loading.delete(kindName));
    }
    return loading;
  }

  /**
   * Builds one instance of a kind: validates `rawOptions` with the kind's schema, creates a child
   * container of `root` with TOKENS.KindOptions and TOKENS.InstanceId bound, loads the kind's
   * module and resolves `token`. The module must load synchronously; use instantiateAsync otherwise.
   */
  instantiate<T>(root: Container, kindName: string, rawOptions: unknown, token: Token, instanceId: string): T {
    const resolved = this.resolveKind(kindName);
    const options = validateOptions(resolved, rawOptions);
    return guard(resolved, instanceId, () => {
      const child = this.childContainer(root, options, instanceId);
      child.load(resolved.kind.module(options));
      return child.get<T>(token);
    });
  }

  /** instantiate() for lazily registered kinds, async modules and async activations. */
  async instantiateAsync<T>(root: Container, kindName: string, rawOptions: unknown, token: Token, instanceId: string): Promise<T> {
    const resolved = await this.loadKind(kindName);
    const options = validateOptions(resolved, rawOptions);
    return guardAsync(resolved, instanceId, async () => {
      const child = this.childContainer(root, options, instanceId);
      await child.loadAsync(resolved.kind.module(options));
      return child.getAsync<T>(token);
    });
  }

  private childContainer(root: Container, options: unknown, instanceId: string): Container {
    const child = new Container({ parent: root });
    child.bind(TOKENS.KindOptions).toConstantValue(options);
    child.bind(TOKENS.InstanceId).toConstantValue(instanceId);
    return child;
  }

  private async loadLazy(kindName: string, loader: () => Promise<AmoraPlugin>): Promise<ResolvedKind> {
    let candidate: unknown;
    try {
      candidate = await loader();
    } catch (error) {
      if (error instanceof PluginLoadError) throw error;
      throw new PluginLoadError(`built-in ${kindName}`, kindName, `cannot import plugin: ${causeMessage(error)}`, { cause: error });
    }
    const plugin = this.register(defaultExport(candidate), `built-in ${kindName}`);
    const resolved = this.kinds.get(kindName);
    if (!resolved) throw new PluginLoadError(plugin.name, kindName, 'the plugin registered for this kind does not provide it');
    return resolved;
  }

  private moduleTarget(specifier: string, baseDir: string | undefined): string {
    const target = moduleUrlFor(specifier, baseDir);
    if (target === specifier && baseDir !== undefined && this.resolvePackage) {
      return this.resolvePackage(specifier, baseDir) ?? specifier;
    }
    return target;
  }

  private unknownKind(kindName: string): PluginLoadError {
    const known = this.kindNames;
    return new PluginLoadError(
      '(unknown)',
      kindName,
      `no plugin provides this kind (known kinds: ${known.length > 0 ? known.join(', ') : 'none'}; add the plugin that provides it to "plugins")`,
      { details: { known } },
    );
  }
}

/** The plugin in a module namespace: its default export (unwrapping CommonJS interop), else the namespace. */
function defaultExport(namespace: unknown): unknown {
  if (typeof namespace !== 'object' || namespace === null) return namespace;
  if (!('default' in namespace)) return namespace;
  const first = (namespace as { default: unknown }).default;
  if (typeof first === 'object' && first !== null && !('name' in first) && 'default' in first) {
    return (first as { default: unknown }).default;
  }
  return first;
}

function validateOptions(resolved: ResolvedKind, rawOptions: unknown): unknown {
  const input = withoutKindKey(rawOptions);
  const result = (resolved.kind.options as z.ZodType).safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => describeIssue(issue));
  throw new PluginLoadError(resolved.plugin.name, resolved.kindName, `invalid options: ${describeZodError(result.error)}`, {
    details: { path: issues[0]?.path, issues },
  });
}

function withoutKindKey(rawOptions: unknown): unknown {
  if (rawOptions === undefined || rawOptions === null) return {};
  if (typeof rawOptions !== 'object' || Array.isArray(rawOptions) || !('kind' in rawOptions)) return rawOptions;
  const { kind: _kind, ...rest } = rawOptions as Record<string, unknown>;
  return rest;
}

function guard<T>(resolved: ResolvedKind, instanceId: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    throw instanceError(resolved, instanceId, error);
  }
}

async function guardAsync<T>(resolved: ResolvedKind, instanceId: string, build: () => Promise<T>): Promise<T> {
  try {
    return await build();
  } catch (error) {
    throw instanceError(resolved, instanceId, error);
  }
}

function instanceError(resolved: ResolvedKind, instanceId: string, error: unknown): PluginLoadError {
  if (error instanceof PluginLoadError) return error;
  return new PluginLoadError(resolved.plugin.name, resolved.kindName, `cannot create instance "${instanceId}": ${causeMessage(error)}`, {
    cause: error,
    details: isAmoraError(error) ? { cause: error.toJSON() } : undefined,
  });
}

/** The cause's message with any credentials masked: module errors may quote their options. */
function causeMessage(error: unknown): string {
  return redactString(error instanceof Error ? error.message : String(error));
}
