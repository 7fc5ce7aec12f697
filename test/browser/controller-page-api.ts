import type { CommandResponse, DeviceStateMessage, JsonObject } from '../../core/index.js';

/**
 * What test/browser/controller-page.ts puts on `window.amora` for the browser end-to-end spec.
 * Types only: the spec reaches it through `page.evaluate`, so only plain data crosses over.
 */
export interface ControllerPageApi {
  /** Names of everything core/index.ts exports, evaluated in the page (the whole core is bundled). */
  readonly coreExports: readonly string[];
  /** Resolves once the controller is online; rejects with the first connection error. */
  connected(): Promise<void>;
  /** Invokes a command on the page's device and returns the device's answer. */
  invoke(command: string, params: JsonObject): Promise<CommandResponse>;
  /** The latest message from `state$` of the page's device, if any arrived. */
  latestState(): DeviceStateMessage | undefined;
  /** Resolves with the first state message (the latest one included) that `predicate` accepts. */
  waitForState(predicate: (message: DeviceStateMessage) => boolean): Promise<DeviceStateMessage>;
  /** Stops the controller (the broker sees a clean disconnect). */
  close(): Promise<void>;
}

declare global {
  interface Window {
    amora?: ControllerPageApi;
  }
}
