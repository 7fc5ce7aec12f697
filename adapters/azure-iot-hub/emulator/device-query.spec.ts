import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../core/index.js';
import { parseDeviceQuery, QuerySyntaxError } from './device-query.js';

const twins: JsonObject[] = [
  { deviceId: 'a', status: 'enabled', tags: { site: 'berlin', floor: 2 }, properties: { desired: {}, reported: { volume: 30 } } },
  { deviceId: 'b', status: 'disabled', tags: { site: "o'hare" }, properties: { desired: { volume: 10 }, reported: {} } },
  { deviceId: 'c', status: 'enabled', tags: {}, properties: { desired: {}, reported: { volume: 80 } } },
];

function select(sql: string): string[] {
  const matches = parseDeviceQuery(sql);
  return twins.filter((twin) => matches(twin)).map((twin) => String(twin['deviceId']));
}

describe('IoT Hub device query subset', () => {
  it('selects every twin without WHERE, and filters by comparisons on twin paths', () => {
    expect(select('SELECT * FROM devices')).toEqual(['a', 'b', 'c']);
    expect(select("select * from devices where tags.site = 'berlin'")).toEqual(['a']);
    expect(select("SELECT * FROM devices WHERE tags.site = 'o''hare'")).toEqual(['b']);
    expect(select('SELECT * FROM devices WHERE properties.reported.volume >= 30 AND properties.reported.volume < 80')).toEqual(['a']);
    expect(select("SELECT * FROM devices WHERE status != 'enabled' OR tags.floor = 2")).toEqual(['a', 'b']);
    expect(select('SELECT * FROM devices WHERE NOT IS_DEFINED(tags.site)')).toEqual(['c']);
    expect(select("SELECT * FROM devices WHERE (deviceId = 'a' OR deviceId = 'c') AND properties.reported.volume > 50")).toEqual(['c']);
    // A missing path compares false both ways, as in IoT Hub.
    expect(select("SELECT * FROM devices WHERE tags.site <> 'berlin'")).toEqual(['b']);
  });

  it('refuses what it does not answer with the reason', () => {
    expect(() => parseDeviceQuery('SELECT deviceId FROM devices')).toThrow(/only SELECT \*/);
    expect(() => parseDeviceQuery('SELECT * FROM devices.modules')).toThrow(/only FROM devices/);
    expect(() => parseDeviceQuery("SELECT * FROM devices WHERE tags.site = 'x' GROUP BY status")).toThrow(QuerySyntaxError);
    expect(() => parseDeviceQuery('SELECT * FROM devices WHERE tags.site')).toThrow(/comparison/);
  });
});
