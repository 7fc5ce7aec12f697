import { headerRow, latencyRow, noteRow, passSpread, versus } from './report-rows.js';
import type { ColdStartResult } from './cold-start.js';
import type { ContentSyncBenchResult } from './content-sync.js';
import type { DiscoveryResult } from './discovery.js';
import type { CloudResult, MpdResult, ReferenceResult, SigningPass, SigningResult } from './scenario.js';

/** The MPD and cloud sections of the report, each beside the generic MQTT reference of the same run. */

const pacing = (samples: number, pacingMs: number): string =>
  `${samples} samples${pacingMs > 0 ? `, one every ${pacingMs} ms` : ', back to back'}`;

/** Issue 3: MPD's own notification, the agent's path to a controller, and the MQTT leg alone. */
export function mpdSection(mpd: MpdResult, reference: ReferenceResult | undefined): string[] {
  const lines = [
    `mpd: a volume change on MPD seen by a client (${pacing(mpd.samples, mpd.pacingMs)})`,
    `  ${mpd.description}`,
    headerRow(),
    latencyRow('volume change seen', 'mpd idle (MPD alone)', mpd.mpdIdle, 'setvol → `idle mixer` answers'),
    latencyRow('volume change seen', 'agent → controller', mpd.agent, `${versus(mpd.agent, mpd.mpdIdle, 'MPD alone')} (the difference is the agent's)`),
  ];
  if (reference?.mqtt.atController) {
    lines.push(
      latencyRow('state → controller', 'mqtt alone', reference.mqtt.atController, 'patch() → state$, no MPD: the mqtt reference, same pacing'),
      latencyRow('state → controller', 'raw mqtt alone', reference.raw.stateLatency, 'mqtt.js publish → message, same pacing'),
    );
  }
  return [...lines, ''];
}

/**
 * Issues 4 and 5: one table for the clouds, measure by measure, each row beside generic MQTT
 * (Amora with the mqtt transport on the embedded broker) measured with the same samples and pacing.
 */
export function cloudSection(clouds: readonly CloudResult[], reference: ReferenceResult): string[] {
  const mqtt = reference.mqtt;
  const lines = [
    `clouds through their local emulators, beside generic MQTT (${pacing(reference.samples, reference.pacingMs)})`,
    `  mqtt: ${reference.description}`,
    ...clouds.map((cloud) => `  ${cloud.name}: ${cloud.description}`),
    headerRow(),
  ];
  if (mqtt.atService) {
    lines.push(latencyRow('state → service', 'mqtt', mqtt.atService, 'the broker accepted the publish (aedes publish event)'));
    for (const cloud of clouds) {
      if (cloud.measures.atService) {
        lines.push(latencyRow('state → service', cloud.name, cloud.measures.atService, `${versus(cloud.measures.atService, mqtt.atService, 'mqtt')}; ${cloud.serviceLabel}`));
      }
    }
  }
  if (mqtt.atController) {
    lines.push(
      latencyRow('state → controller', 'raw mqtt', reference.raw.stateLatency, 'mqtt.js publish → the subscriber\'s message'),
      latencyRow('state → controller', 'mqtt', mqtt.atController, `patch() → the controller's state$; ${versus(mqtt.atController, reference.raw.stateLatency, 'raw')}`),
    );
    for (const cloud of clouds) {
      if (cloud.measures.atController) {
        lines.push(latencyRow('state → controller', cloud.name, cloud.measures.atController, versus(cloud.measures.atController, mqtt.atController, 'mqtt')));
      } else if (cloud.controllerNote) {
        lines.push(noteRow('state → controller', cloud.name, cloud.controllerNote));
      }
    }
  }
  lines.push(
    latencyRow('command round trip', 'raw mqtt', reference.raw.commandRoundTrip, 'QoS 1 command → QoS 1 response'),
    latencyRow('command round trip', 'mqtt', mqtt.commandRoundTrip, `invoke() → response; ${versus(mqtt.commandRoundTrip, reference.raw.commandRoundTrip, 'raw')}`),
  );
  for (const cloud of clouds) {
    lines.push(latencyRow('command round trip', cloud.name, cloud.measures.commandRoundTrip, versus(cloud.measures.commandRoundTrip, mqtt.commandRoundTrip, 'mqtt')));
  }
  return [...lines, ''];
}

/**
 * Issue 11: what signing (and encrypting a state section) costs, beside the same path unsigned and
 * mqtt.js alone: every pass's p50 in run order, the median of each, and the ratios of the medians.
 */
export function signingSection(signing: SigningResult): string[] {
  const names = { raw: 'raw mqtt.js', off: 'signing off', on: 'signing on' } as const;
  const lines = [
    `signing: generic MQTT, mqtt.js alone and Amora with the signing middleware off and on (${pacing(signing.samples, signing.pacingMs)}, ${signing.passes.length} passes, order reversed each round)`,
    `  ${signing.description}`,
    `  passes in run order: ${signing.passes.map((pass) => pass.who).join(', ')}`,
  ];
  for (const [measure, pick] of [
    ['state → other end', (pass: SigningPass) => pass.state],
    ['command round trip', (pass: SigningPass) => pass.command],
  ] as const) {
    const median = (who: SigningPass['who'], figure: 'p50' | 'p95') => passSpread(signing.passes.filter((pass) => pass.who === who).map((pass) => pick(pass)[figure])).median;
    for (const who of ['raw', 'off', 'on'] as const) {
      const p50s = signing.passes.filter((pass) => pass.who === who).map((pass) => pick(pass).p50.toFixed(3));
      const ratios =
        who === 'raw' ? '' : who === 'off' ? `${(median('off', 'p50') / median('raw', 'p50')).toFixed(2)}x raw` : `${(median('on', 'p50') / median('off', 'p50')).toFixed(2)}x off, ${(median('on', 'p50') / median('raw', 'p50')).toFixed(2)}x raw`;
      lines.push(`  ${measure.padEnd(19)} ${names[who].padEnd(12)} p50 per pass ${p50s.join(', ').padEnd(14)} median p50 ${median(who, 'p50').toFixed(3)} p95 ${median(who, 'p95').toFixed(3)} ms  ${ratios}`.trimEnd());
    }
  }
  return [...lines, ''];
}

/** Content sync throughput beside a plain SDK download of the same blobs: every pass, medians and their ratio. */
export function contentSyncSection(result: ContentSyncBenchResult): string[] {
  const median = (who: 'raw' | 'amora') => passSpread(result.passes.filter((pass) => pass.who === who).map((pass) => pass.mbPerSecond));
  const raw = median('raw');
  const amora = median('amora');
  return [
    `content-sync: ${result.files} blobs, ${(result.bytes / 1e6).toFixed(1)} MB from Azurite to disk (MB/s, higher is better)`,
    `  passes in run order: ${result.passes.map((pass) => `${pass.who} ${pass.mbPerSecond.toFixed(1)}`).join(', ')}`,
    `  raw @azure/storage-blob downloadToFile  median ${raw.median.toFixed(1)} MB/s (${raw.min.toFixed(1)}-${raw.max.toFixed(1)})`,
    `  amora syncContent {force: true}         median ${amora.median.toFixed(1)} MB/s (${amora.min.toFixed(1)}-${amora.max.toFixed(1)}), ${(amora.median / raw.median).toFixed(2)}x raw`,
    '',
  ];
}

/**
 * A fresh controller discovering a fleet from retained presences: every pass in the order it ran,
 * and the ratio of the medians (amora / raw), with the spread of each side.
 */
export function discoverySection(discovery: DiscoveryResult): string[] {
  return [
    ...passLines(`discovery: a fresh controller learns ${discovery.devices} retained presences on Mosquitto (connect to last device)`, discovery.passes, 'raw wildcard subscription', 'amora devices$()'),
    ...passLines(`  watch: every retained presence and state of the ${discovery.devices} devices printed as JSON lines (spawn to last line)`, discovery.watch, 'raw wildcard script', 'amora watch --json'),
    '',
  ];
}

/** Passes of raw and amora in run order, each side's median with its spread, and the ratio of the medians. */
function passLines(title: string, passes: DiscoveryResult['passes'], rawLabel: string, amoraLabel: string): string[] {
  const median = (who: 'raw' | 'amora') => passSpread(passes.filter((pass) => pass.who === who).map((pass) => pass.ms));
  const raw = median('raw');
  const amora = median('amora');
  return [
    title,
    `  passes in run order: ${passes.map((pass) => `${pass.who} ${pass.ms.toFixed(0)} ms`).join(', ')}`,
    `  ${rawLabel.padEnd(27)}median ${raw.median.toFixed(0)} ms (${raw.min.toFixed(0)}-${raw.max.toFixed(0)})`,
    `  ${amoraLabel.padEnd(27)}median ${amora.median.toFixed(0)} ms (${amora.min.toFixed(0)}-${amora.max.toFixed(0)}), ${(amora.median / raw.median).toFixed(2)}x raw`,
  ];
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

/** Issue 12, goal 1: a cold `amora agent` beside a minimal mqtt.js script, time to online and RSS, every pass and the medians. */
export function coldStartSection(result: ColdStartResult): string[] {
  const side = (who: 'raw' | 'amora', of: (pass: ColdStartResult['passes'][number]) => number) => passSpread(result.passes.filter((pass) => pass.who === who).map(of));
  const line = (label: string, who: 'raw' | 'amora', ratio = '') => {
    const ms = side(who, (pass) => pass.ms);
    const rss = side(who, (pass) => pass.rssBytes);
    return `  ${label.padEnd(28)} median ${ms.median.toFixed(0)} ms (${ms.min.toFixed(0)}-${ms.max.toFixed(0)}), RSS ${mib(rss.median)} MiB (${mib(rss.min)}-${mib(rss.max)})${ratio}`;
  };
  const ratio = (of: (pass: ColdStartResult['passes'][number]) => number): string => (side('amora', of).median / side('raw', of).median).toFixed(2);
  return [
    'cold-start: a fresh node process until a watcher sees its device online (embedded broker), RSS then',
    `  passes in run order: ${result.passes.map((pass) => `${pass.who} ${pass.ms.toFixed(0)} ms ${mib(pass.rssBytes)} MiB`).join(', ')}`,
    line('mqtt.js script', 'raw'),
    line('amora agent (virtual player)', 'amora', `; ${ratio((pass) => pass.ms)}x raw time, ${ratio((pass) => pass.rssBytes)}x raw RSS`),
    '',
  ];
}
