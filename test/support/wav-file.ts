/**
 * Builds small WAV files in memory, so tests and benchmarks need no audio tool to make music for
 * MPD: 8 kHz mono 8-bit silence (about 8 KB a second) with an optional RIFF INFO title (INAM),
 * which MPD's sndfile decoder reports as the track's Title.
 */
export interface WavSpec {
  /** Length in seconds (fractions allowed). */
  readonly seconds: number;
  /** Stored as the INFO/INAM tag. */
  readonly title?: string;
  /** Samples per second. Default 8000. */
  readonly sampleRate?: number;
}

export function wavFile(spec: WavSpec): Buffer {
  const sampleRate = spec.sampleRate ?? 8000;
  const samples = Math.round(spec.seconds * sampleRate);
  const format = Buffer.alloc(16);
  format.writeUInt16LE(1, 0); // PCM
  format.writeUInt16LE(1, 2); // mono
  format.writeUInt32LE(sampleRate, 4);
  format.writeUInt32LE(sampleRate, 8); // byte rate: 1 byte per sample
  format.writeUInt16LE(1, 12); // block align
  format.writeUInt16LE(8, 14); // bits per sample
  // Unsigned 8-bit PCM: 128 is silence.
  const chunks = [chunk('fmt ', format), chunk('data', Buffer.alloc(samples, 128))];
  if (spec.title !== undefined) {
    const name = chunk('INAM', Buffer.from(`${spec.title}\0`, 'utf8'));
    chunks.push(chunk('LIST', Buffer.concat([Buffer.from('INFO', 'ascii'), name])));
  }
  const body = Buffer.concat([Buffer.from('WAVE', 'ascii'), ...chunks]);
  return chunk('RIFF', body);
}

/** One RIFF chunk: id, little-endian size, data, and a pad byte when the size is odd. */
function chunk(id: string, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(id, 0, 'ascii');
  header.writeUInt32LE(data.length, 4);
  return Buffer.concat(data.length % 2 === 1 ? [header, data, Buffer.alloc(1)] : [header, data]);
}
