import type { ContainerModule } from 'inversify';
import type { z } from 'zod';

/** The plugin API version this core implements; a plugin declaring another is refused. */
export const PLUGIN_API_VERSION = 1;

/**
 * What a kind provides. A `transport` kind's module binds TOKENS.DeviceTransport and/or
 * TOKENS.ControllerTransport; a `player` kind binds TOKENS.PlayerAdapter; a `middleware` kind binds
 * TOKENS.MessageMiddleware (core/plugins/middleware.ts), applied around every transport. Each configured instance is built in its own child container in which
 * TOKENS.KindOptions (the validated options) and TOKENS.InstanceId are bound.
 */
export type PluginKindRole = 'transport' | 'player' | 'middleware';

export interface PluginKind<S extends z.ZodType = z.ZodType> {
  readonly role: PluginKindRole;
  readonly description?: string;
  /** Validates this kind's entry of the config (without its `kind` key). */
  readonly options: S;
  /**
   * Options holding file paths, as dot-separated keys (`certPath`, `tls.ca`). A relative path
   * there is resolved against the config file's directory before `options` validates the entry;
   * inline PEM text, absolute paths and URLs are left alone.
   */
  readonly paths?: readonly string[];
  readonly module: (options: z.output<S>) => ContainerModule;
}

export interface AmoraPlugin {
  readonly name: string;
  readonly apiVersion: number;
  readonly kinds: Readonly<Record<string, PluginKind>>;
}

/** Declares a plugin; the default export of a plugin module. */
export function definePlugin<const P extends AmoraPlugin>(plugin: P): P {
  return plugin;
}

/** Keeps a kind's module factory typed by its own options schema. */
export function defineKind<S extends z.ZodType>(kind: PluginKind<S>): PluginKind {
  return kind as unknown as PluginKind;
}
