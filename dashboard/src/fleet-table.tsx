import { useEffect, useRef, useState } from 'preact/hooks';
import { ago } from './format.js';
import type { FleetRow, FleetStore } from './fleet-store.js';
import { useStore } from './use-store.js';

const ROW_HEIGHT = 36;
/** Rows rendered beyond the visible ones, so a fast scroll does not show blanks. */
const OVERSCAN = 8;

/**
 * The live fleet table. Only the rows in view are in the DOM (a window over the sorted list,
 * positioned inside a spacer as tall as all rows), so thousands of devices scroll and update as
 * smoothly as ten.
 */
export function FleetTable({ store, onOpen }: { store: FleetStore; onOpen: (deviceId: string) => void }) {
  useStore(store);
  const viewport = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const [filter, setFilter] = useState('');
  useEffect(() => {
    const element = viewport.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setHeight(element.clientHeight));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const all = store.list();
  const rows = filter ? all.filter((row) => row.deviceId.includes(filter)) : all;
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
  const online = all.filter((row) => row.presence === 'online').length;
  const now = Date.now();
  return (
    <section class="fleet">
      <header class="toolbar">
        <h2>
          Fleet <span class="count" data-testid="device-count">{all.length}</span> devices, <span data-testid="online-count">{online}</span> online
        </h2>
        <input type="search" placeholder="filter by device id" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
      </header>
      <div class="table-head row">
        <span>device</span>
        <span>presence</span>
        <span>playback</span>
        <span>volume</span>
        <span>track</span>
        <span>last seen</span>
        <span>version</span>
      </div>
      <div class="viewport" ref={viewport} onScroll={(e) => setScrollTop((e.target as HTMLDivElement).scrollTop)} data-testid="fleet-viewport">
        <div class="spacer" style={{ height: `${rows.length * ROW_HEIGHT}px` }}>
          {rows.slice(first, last).map((row, offset) => (
            <Row key={row.deviceId} row={row} top={(first + offset) * ROW_HEIGHT} now={now} onOpen={onOpen} />
          ))}
        </div>
      </div>
    </section>
  );
}

function Row({ row, top, now, onOpen }: { row: FleetRow; top: number; now: number; onOpen: (deviceId: string) => void }) {
  return (
    <div class="row device-row" style={{ transform: `translateY(${top}px)` }} data-device={row.deviceId} onClick={() => onOpen(row.deviceId)}>
      <span class="id">{row.deviceId}</span>
      <span class={`presence ${row.presence}`}>{row.presence}</span>
      <span class={`playback ${row.playback ?? ''}`} data-testid="playback">{row.playback ?? '–'}</span>
      <span data-testid="volume">{row.volume ?? '–'}</span>
      <span class="track">{row.track ?? '–'}</span>
      <span>{ago(row.lastSeen, now)}</span>
      <span>{row.version ?? '–'}</span>
    </div>
  );
}
