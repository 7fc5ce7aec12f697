const decoder = new TextDecoder();

/**
 * Finds a `command_id` in a payload too large to parse, so the refusal can still be addressed.
 * A plain scan for the first `"command_id"` member with a string or number value.
 */
export function scanCommandId(payload: Uint8Array): string | undefined {
  const match = /"command_id"\s*:\s*(?:"([^"\\]{1,256})"|(-?\d{1,20}))/.exec(decoder.decode(payload));
  return match?.[1] ?? match?.[2];
}
