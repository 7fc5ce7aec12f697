const decoder = new TextDecoder();

/**
 * The `command_id` of a payload too large to parse, so its `payload_too_large` refusal can still
 * be addressed: a plain scan for the first `"command_id"` member with a string or number value.
 * Not a parser: it may find a nested member, which is acceptable for addressing a refusal.
 */
export function scanCommandId(payload: string | Uint8Array): string | undefined {
  const text = typeof payload === 'string' ? payload : decoder.decode(payload);
  const match = /"command_id"\s*:\s*(?:"([^"\\]{1,256})"|(-?\d{1,20}))/.exec(text);
  return match?.[1] ?? match?.[2];
}
