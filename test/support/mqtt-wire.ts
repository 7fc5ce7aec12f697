/** One MQTT control packet as a client sent it, read off the wire (see mqttPacketsOf). */
export interface SentPacket {
  readonly type: 'publish' | 'puback' | 'subscribe' | 'other';
  /** A PUBLISH's topic. */
  readonly topic?: string;
  /** A SUBSCRIBE's topic filters. */
  readonly filters?: readonly string[];
}

/**
 * Splits what a client sent (e.g. the chunks a TcpProxy saw) into MQTT packets: the fixed header
 * and remaining length of each, the topic of a PUBLISH, the filters of a SUBSCRIBE (whose
 * properties, on MQTT 5, are skipped). Enough to see what went out and in which order.
 */
export function mqttPacketsOf(chunks: readonly Buffer[], protocolVersion: 4 | 5): SentPacket[] {
  const bytes = Buffer.concat(chunks);
  const packets: SentPacket[] = [];
  let at = 0;
  while (at < bytes.length) {
    const kind = bytes[at]! >> 4;
    const [length, body] = varInt(bytes, at + 1);
    const end = body + length;
    if (kind === 3) {
      packets.push({ type: 'publish', topic: text(bytes, body) });
    } else if (kind === 8) {
      let cursor = body + 2; // packet identifier
      if (protocolVersion === 5) {
        const [propertiesLength, properties] = varInt(bytes, cursor);
        cursor = properties + propertiesLength;
      }
      const filters: string[] = [];
      while (cursor < end) {
        const filter = text(bytes, cursor);
        filters.push(filter);
        cursor += 2 + Buffer.byteLength(filter) + 1; // the filter, then its options byte
      }
      packets.push({ type: 'subscribe', filters });
    } else {
      packets.push({ type: kind === 4 ? 'puback' : 'other' });
    }
    at = end;
  }
  return packets;
}

/** A variable byte integer at `at`: its value and where what follows it starts. */
function varInt(bytes: Buffer, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  let cursor = at;
  for (;;) {
    const byte = bytes[cursor++]!;
    value += (byte & 0x7f) << shift;
    shift += 7;
    if ((byte & 0x80) === 0) return [value, cursor];
  }
}

/** A length-prefixed UTF-8 string at `at`. */
function text(bytes: Buffer, at: number): string {
  return bytes.subarray(at + 2, at + 2 + bytes.readUInt16BE(at)).toString();
}
