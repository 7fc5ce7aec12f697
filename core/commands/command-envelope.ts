import { z } from 'zod';
import { jsonObjectSchema } from '../transport/wire-messages.js';

/**
 * The command envelope as it travels (the AmoraOS seed format plus `expires_at`), for the
 * protocol's JSON Schema and for senders that want to check what they build. The device itself
 * reads commands with decodeCommand, which accepts exactly this and says which field is wrong.
 */
export const commandEnvelopeSchema = z.object({
  command: z.string().min(1).describe('the command name, e.g. "setVolume"'),
  command_id: z.union([z.string().min(1), z.number()]).describe('correlates the response and makes the command idempotent; numbers are answered as strings'),
  params: jsonObjectSchema.nullable().optional().describe('the command parameters; absent or null means {}'),
  timestamp: z.number().optional().describe("the sender's clock (epoch s or ms); informational, never expires a command"),
  expires_at: z.number().optional().describe('epoch ms; a command arriving later is answered "expired" and does not run'),
});
