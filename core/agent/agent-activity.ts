/**
 * What the agent did, as it happens: the numbers an operator watches (commands answered and how
 * long they took, state publishes and their latency, messages in and out per transport) that no
 * status stream shows. The CLI turns these into Prometheus metrics; core only reports them, so it
 * stays free of any metrics library.
 */
export type AgentActivity =
  | {
      /** A command from `transport` was answered; `code` is `ok` or the error code sent back. */
      readonly type: 'command';
      readonly transport: string;
      readonly command: string;
      readonly code: string;
      /** From receipt to the answer handed to the transport, ms. */
      readonly durationMs: number;
    }
  | {
      /** A reported state publish on `transport` settled (`ok` false when it failed). */
      readonly type: 'state';
      readonly transport: string;
      readonly ok: boolean;
      readonly durationMs: number;
    }
  | { readonly type: 'desired'; readonly transport: string }
  | { readonly type: 'telemetry'; readonly transport: string; readonly ok: boolean; readonly records: number };

export type AgentActivityType = AgentActivity['type'];
