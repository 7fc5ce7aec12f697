import { describe, expect, it } from 'vitest';
import { parseOutputName, parseOutputs, parsePlaylistNames, splitStatusAndSong, toPlayerState } from './mpd-response.js';

// Answers as MPD 0.23 sends them (captured from a real daemon).
const PLAYING = `volume: 40
repeat: 0
random: 0
single: 0
consume: 0
partition: default
playlist: 5
playlistlength: 2
mixrampdb: 0
state: play
song: 0
songid: 1
time: 10:60
elapsed: 10.250
bitrate: 0
duration: 60.000
audio: 8000:16:1
nextsong: 1
nextsongid: 2
file: music/first-light.wav
Last-Modified: 2026-11-22T05:02:34Z
Format: 8000:16:1
Title: First Light
Title: Second Title Tag
Time: 60
duration: 60.000
Pos: 0
Id: 1
OK
`;

const context = { playlists: ['Morning'], device: 'null', playlist: 'Morning' };

describe('MPD answers to player state', () => {
  it('reads status and currentsong from one command list answer', () => {
    const { status, song } = splitStatusAndSong(PLAYING);
    expect(status['state']).toBe('play');
    expect(status['duration']).toBe('60.000');
    expect(song['file']).toBe('music/first-light.wav');
    expect(song['Title']).toBe('First Light');
  });

  it('maps a playing MPD to the profile, moving the position on by the time since the read', () => {
    const { status, song } = splitStatusAndSong(PLAYING);
    expect(toPlayerState(status, song, context, 1.5)).toEqual({
      audio: { volume: 40, device: 'null', backend: 'mpd' },
      playback: { status: 'playing', current_track: 'First Light', position: 11.75, duration: 60, playlist: 'Morning' },
      playlists: ['Morning'],
    });
    expect(toPlayerState(status, song, context, 500).playback.position).toBe(60);
  });

  it('falls back to the file name, reports a stopped empty queue and a missing mixer as volume 0', () => {
    const paused = splitStatusAndSong('state: pause\nelapsed: 3.000\nduration: 9.5\nfile: a/b/untitled.wav\nOK\n');
    expect(toPlayerState(paused.status, paused.song, context, 4).playback).toMatchObject({
      status: 'paused',
      current_track: 'untitled.wav',
      position: 3,
      duration: 9.5,
    });
    const empty = splitStatusAndSong('repeat: 0\nplaylistlength: 0\nstate: stop\n');
    expect(toPlayerState(empty.status, empty.song, { playlists: [], playlist: null })).toEqual({
      audio: { volume: 0, backend: 'mpd' },
      playback: { status: 'stopped', current_track: null, position: 0, duration: 0, playlist: null },
      playlists: [],
    });
  });

  it('keeps stream URLs whole as track names', () => {
    const stream = splitStatusAndSong('state: play\nfile: http://radio.example/live.mp3\n');
    expect(toPlayerState(stream.status, stream.song, context).playback.current_track).toBe('http://radio.example/live.mp3');
  });

  it('lists stored playlists and the first enabled output', () => {
    expect(parsePlaylistNames('playlist: Evening\nLast-Modified: x\nplaylist: Morning: Early\nLast-Modified: y\n')).toEqual([
      'Evening',
      'Morning: Early',
    ]);
    const outputs = 'outputid: 0\noutputname: hdmi\nplugin: alsa\noutputenabled: 0\noutputid: 1\noutputname: DAC\noutputenabled: 1\n';
    expect(parseOutputName(outputs)).toBe('DAC');
    expect(parseOutputName('outputid: 0\noutputname: off\noutputenabled: 0\n')).toBeUndefined();
    expect(parseOutputs(outputs)).toEqual([
      { id: '0', name: 'hdmi', enabled: false },
      { id: '1', name: 'DAC', enabled: true },
    ]);
  });
});
