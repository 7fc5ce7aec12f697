import { z } from 'zod';

/**
 * A command parameter schema that refuses unknown keys with an issue at the key itself, so the
 * dispatcher's invalid_params answer names the field (`volum: unknown parameter (expected volume)`)
 * instead of a generic "unrecognized key" at the root. Typos in params fail loudly.
 */
export function strictParams<Shape extends z.ZodRawShape>(shape: Shape) {
  const known = Object.keys(shape);
  const expected = known.length > 0 ? `expected ${known.join(', ')}` : 'this command takes no parameters';
  return z.preprocess((value, context) => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const key of Object.keys(value)) {
        if (!known.includes(key)) context.addIssue({ code: 'custom', path: [key], message: `unknown parameter (${expected})` });
      }
    }
    return value;
  }, z.strictObject(shape));
}
