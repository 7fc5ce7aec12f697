import { Container } from 'inversify';
import { describe, expect, it } from 'vitest';
import {
  TOKENS,
  type PlayerAdapter,
} from '../../core/index.js';
import { MpdPlayer } from './mpd-player.js';
import plugin from './plugin.js';

describe('amora-mpd-player plugin', () => {
  it('binds one MpdPlayer per instance container, connecting nothing until start', async () => {
    const kind = plugin.kinds.mpd;
    expect(kind.role).toBe('player');
    const options = kind.options.parse({ host: 'mpd.local', port: '6601' });
    const container = new Container();
    container.bind(TOKENS.KindOptions).toConstantValue(options);
    container.bind(TOKENS.InstanceId).toConstantValue('mpd');
    container.load(kind.module(options));
    const player = container.get<PlayerAdapter>(TOKENS.PlayerAdapter);
    expect(player).toBeInstanceOf(MpdPlayer);
    expect(container.get(TOKENS.PlayerAdapter)).toBe(player);
    await expect(player.play()).rejects.toMatchObject({ code: 'unavailable', message: expect.stringContaining('mpd.local:6601') });
    await player.stop();
  });
});
