import type { StoredEvent } from './event-store.js';

/**
 * Where a receiver link starts, from the selector filter Event Hubs clients attach with
 * (`apache.org:selector-filter:string`), e.g. `amqp.annotation.x-opt-offset > '-1'` (earliest),
 * `... x-opt-offset > '@latest'`, `... x-opt-sequence-number >= '42'` or
 * `... x-opt-enqueued-time > '1700000000000'` (epoch ms). No filter reads from the latest event on.
 */
export type EventPosition =
  | { readonly kind: 'earliest' }
  | { readonly kind: 'latest' }
  | { readonly kind: 'offset' | 'sequenceNumber' | 'enqueuedTime'; readonly value: number; readonly inclusive: boolean };

const FILTER = /^\s*amqp\.annotation\.x-opt-(offset|sequence-number|enqueued-time)\s*(>=|>)\s*'([^']*)'\s*$/i;

/** Parses a selector; throws an Error whose message says what is wrong (sent back as the link error). */
export function parseEventPosition(selector: string | undefined): EventPosition {
  if (selector === undefined) return { kind: 'latest' };
  const match = FILTER.exec(selector);
  if (!match) throw new Error(`unsupported selector filter: ${selector}`);
  const [, field, operator, text] = match as unknown as [string, string, string, string];
  const inclusive = operator === '>=';
  const name = field.toLowerCase();
  if (name === 'offset' && text === '@latest') return { kind: 'latest' };
  if (name === 'offset' && text === '-1' && !inclusive) return { kind: 'earliest' };
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value)) throw new Error(`the filter value '${text}' is not a number`);
  const kind = name === 'offset' ? 'offset' : name === 'sequence-number' ? 'sequenceNumber' : 'enqueuedTime';
  return { kind, value, inclusive };
}

/**
 * A predicate telling whether an event is at or after the position. `latest` is fixed when the
 * link opens: everything after the partition's last sequence number at that moment.
 */
export function startsAt(position: EventPosition, lastSequenceNumber: number): (event: StoredEvent) => boolean {
  switch (position.kind) {
    case 'earliest':
      return () => true;
    case 'latest':
      return (event) => event.sequenceNumber > lastSequenceNumber;
    default: {
      const field = position.kind;
      const { value, inclusive } = position;
      return (event) => (inclusive ? event[field] >= value : event[field] > value);
    }
  }
}
