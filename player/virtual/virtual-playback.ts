import {
  CommandError,
  type PlaybackStatus,
} from '../../core/index.js';
import type { VirtualTrack } from './virtual-player-options.js';

/**
 * The simulated player's queue and transport, with positions derived from clock time (an anchor
 * position at an anchor time), never from ticking timers: the result is exact whatever the clock
 * does, including jumps of a manual test clock. Behaviour and errors mirror MPD's, so code that
 * works against the virtual player works against a real one.
 */
export class VirtualPlayback {
  private tracks: readonly VirtualTrack[] = [];
  private current: number | undefined;
  private state: PlaybackStatus = 'stopped';
  /** Seconds into the current track at `anchorTime`. */
  private anchorPosition = 0;
  /** Clock time (epoch ms) the anchor was taken; only meaningful while playing. */
  private anchorTime = 0;

  constructor(private readonly now: () => number) {}

  get status(): PlaybackStatus {
    return this.state;
  }

  /** The current track, undefined when the queue is empty or played to its end. */
  get track(): VirtualTrack | undefined {
    return this.current === undefined ? undefined : this.tracks[this.current];
  }

  /** Seconds into the current track, capped at its duration. */
  get position(): number {
    const track = this.track;
    if (track === undefined) return 0;
    const elapsed = this.state === 'playing' ? (this.now() - this.anchorTime) / 1000 : 0;
    return Math.min(this.anchorPosition + elapsed, track.duration);
  }

  /** Milliseconds until the current track ends, undefined unless playing. */
  msUntilTrackEnd(): number | undefined {
    const track = this.track;
    if (this.state !== 'playing' || track === undefined) return undefined;
    return Math.max(0, (track.duration - this.anchorPosition) * 1000 - (this.now() - this.anchorTime));
  }

  /**
   * Moves past every track end that the clock has passed: to the next track, or to stopped at the
   * end of the queue (as MPD does, the current song is then gone). Returns true when anything moved.
   */
  settle(): boolean {
    let moved = false;
    for (let remaining = this.msUntilTrackEnd(); remaining === 0; remaining = this.msUntilTrackEnd()) {
      const track = this.track as VirtualTrack;
      const endedAt = this.anchorTime + (track.duration - this.anchorPosition) * 1000;
      moved = true;
      if (this.current !== undefined && this.current + 1 < this.tracks.length) {
        this.current += 1;
        this.anchor(0, endedAt);
      } else {
        this.current = undefined;
        this.state = 'stopped';
        this.anchor(0);
      }
    }
    return moved;
  }

  /** Replaces the queue without playing it (a saved queue at start); `play` starts its first track. */
  cue(tracks: readonly VirtualTrack[]): void {
    this.tracks = [...tracks];
    this.current = undefined;
    this.state = 'stopped';
    this.anchor(0);
  }

  /** Replaces the queue and starts its first track. */
  load(tracks: readonly VirtualTrack[]): void {
    this.tracks = [...tracks];
    this.current = undefined;
    this.state = 'stopped';
    this.play();
  }

  /** Resumes when paused; when stopped, starts the current track (or the first) from its start. */
  play(): void {
    if (this.state === 'playing') return;
    if (this.state === 'paused') {
      this.state = 'playing';
      this.anchor(this.anchorPosition);
      return;
    }
    if (this.tracks.length === 0) throw new CommandError('conflict', 'the queue is empty: load a playlist first');
    this.current ??= 0;
    this.state = 'playing';
    this.anchor(0);
  }

  /** Pauses playback; like MPD's `pause 1`, a no-op unless playing. */
  pause(): void {
    if (this.state !== 'playing') return;
    this.anchorPosition = this.position;
    this.state = 'paused';
  }

  /** Stops and rewinds the current track; the queue stays. */
  stop(): void {
    this.state = 'stopped';
    this.anchor(0);
  }

  /**
   * The next track; conflict when stopped or already at the last track (where MPD would silently
   * stop). Like MPD, moving to another track while paused resumes playback.
   */
  next(): void {
    const current = this.requireActive('next');
    if (current + 1 >= this.tracks.length) throw new CommandError('conflict', 'already at the last track of the queue');
    this.current = current + 1;
    this.state = 'playing';
    this.anchor(0);
  }

  /** The previous track, or the start of the first one; conflict when stopped; resumes when paused. */
  previous(): void {
    const current = this.requireActive('previous');
    this.current = Math.max(current - 1, 0);
    this.state = 'playing';
    this.anchor(0);
  }

  /** Jumps within the current track; invalid_params outside [0, duration], conflict when not playing. */
  seek(position: number): void {
    this.requireActive('seek');
    const track = this.track as VirtualTrack;
    if (!Number.isFinite(position) || position < 0 || position > track.duration) {
      throw new CommandError('invalid_params', `position ${position} is outside the track (0-${track.duration} s)`, {
        details: { position, duration: track.duration },
      });
    }
    this.anchor(position);
  }

  private requireActive(operation: string): number {
    if (this.state === 'stopped' || this.current === undefined) {
      throw new CommandError('conflict', `cannot ${operation}: not playing`);
    }
    return this.current;
  }

  private anchor(position: number, at: number = this.now()): void {
    this.anchorPosition = position;
    this.anchorTime = at;
  }
}
