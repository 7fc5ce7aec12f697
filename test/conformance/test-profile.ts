import { z } from 'zod';
import { Subject } from 'rxjs';
import type { DeviceProfile } from '../../core/agent/device-profile.js';
import { defineCommand } from '../../core/commands/types.js';
import type { JsonObject } from '../../core/state/json.js';

/** The profile the conformance suite runs: tiny commands, each exercising one dispatcher path. */
export interface ConformanceProfile extends DeviceProfile {
  /** Pushes a reported-state patch, as a device's hardware would. */
  readonly report: (patch: JsonObject) => void;
  /** How many times `counter` ran. */
  readonly counterRuns: () => number;
}

/** Deadline of the `slow` command, ms: short, since the suite waits for its timeout answer. */
export const SLOW_COMMAND_TIMEOUT_MS = 200;

export function conformanceProfile(): ConformanceProfile {
  const state = new Subject<JsonObject>();
  let count = 0;
  return {
    name: 'conformance',
    state$: state.asObservable(),
    report: (patch) => state.next(patch),
    counterRuns: () => count,
    commands: [
      defineCommand({
        name: 'echo',
        description: 'answers its value',
        params: z.strictObject({ value: z.union([z.string(), z.number()]) }),
        handler: ({ value }) => ({ value }),
      }),
      defineCommand({
        name: 'fail',
        description: 'always throws',
        params: z.strictObject({}),
        handler: () => {
          throw new Error('failed on purpose');
        },
      }),
      defineCommand({
        name: 'slow',
        description: 'never finishes (answered by the deadline)',
        params: z.strictObject({}),
        timeoutMs: SLOW_COMMAND_TIMEOUT_MS,
        handler: () => new Promise<void>(() => undefined),
      }),
      defineCommand({
        name: 'counter',
        description: 'counts its runs (a repeated command_id must not run it again)',
        params: z.strictObject({}),
        handler: () => ({ count: ++count }),
      }),
    ],
  };
}
