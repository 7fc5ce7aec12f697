/**
 * The transport conformance kit (`amora-sync/testing`): one suite every transport runs, built-in
 * or third-party. vitest is a peer dependency.
 *
 * ```ts
 * import { describeTransportConformance } from 'amora-sync/testing';
 * describeTransportConformance('my transport', { createDeviceTransport, createControllerTransport, setup, teardown });
 * ```
 */
export { describeTransportConformance } from './describe-transport-conformance.js';
export type { ReceivedTelemetry, TelemetrySubscription, TransportHarness } from './harness.js';
export { conformanceProfile, SLOW_COMMAND_TIMEOUT_MS, type ConformanceProfile } from './test-profile.js';
export { Recorder, waitFor, within } from './recorder.js';
