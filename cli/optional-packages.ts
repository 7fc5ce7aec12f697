import { PluginLoadError } from '../core/index.js';

/**
 * The cloud SDKs are optional peer dependencies: `npm install amora-sync` for MQTT and MPD brings
 * none of them (the Azure SDKs are tens of MiB, aws-crt under aws-iot-device-sdk-v2 is a native
 * binary with no 32-bit ARM build). A built-in kind that needs them names what to install when
 * one is missing. The versions
 * are those package.json pins as peers (a unit spec keeps the two in step).
 */
export const OPTIONAL_PACKAGES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'azure-iot-hub': {
    'azure-iot-common': '1.13.3',
    'azure-iot-device': '1.18.4',
    'azure-iot-device-mqtt': '1.16.4',
    'azure-iothub': '1.16.6',
  },
  'aws-iot': {
    '@aws-sdk/client-iot-data-plane': '3.1138.0',
  },
  // Only for `link: sdk` (the default `mqtt` link is mqtt.js): the kind loads without it, and an
  // agent that asks for the sdk link fails at start naming the package.
  'aws-iot link: sdk': {
    'aws-iot-device-sdk-v2': '1.28.0',
  },
  // `amora migrate`: the registries' service APIs (the devices' SDKs are not needed).
  'migrate-azure': {
    'azure-iothub': '1.16.6',
  },
  'migrate-aws': {
    '@aws-sdk/client-iot': '3.1138.0',
    '@aws-sdk/client-iot-data-plane': '3.1138.0',
  },
};

/** The npm command that installs a kind's optional packages. */
export function installCommand(kind: string): string | undefined {
  const packages = OPTIONAL_PACKAGES[kind];
  if (!packages) return undefined;
  return `npm install ${Object.entries(packages)
    .map(([name, version]) => `${name}@${version}`)
    .join(' ')}`;
}

/**
 * Turns "Cannot find package 'azure-iot-device'" while importing a built-in kind into an error
 * that says which kind needs it and how to install it; other errors pass through.
 */
export function missingPackageError(kind: string, error: unknown): unknown {
  const missing = missingPackageName(error);
  const install = installCommand(kind);
  if (missing === undefined || install === undefined) return error;
  return new PluginLoadError(`built-in ${kind}`, kind, `needs the package "${missing}", which is not installed: run \`${install}\``, {
    cause: error,
    details: { missing, install },
  });
}

/** The package an import failed to find (ERR_MODULE_NOT_FOUND), if that is why it failed. */
export function missingPackageName(error: unknown): string | undefined {
  if (!(error instanceof Error) || (error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  return /Cannot find package '([^']+)'/.exec(error.message)?.[1];
}
