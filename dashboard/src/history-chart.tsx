import { useEffect, useRef } from 'preact/hooks';
import type { HistoryPoint } from './fleet-store.js';

const WINDOW_MS = 120_000;

/**
 * The last two minutes of one device on a canvas: a tick per state change along the bottom, and a
 * dot per command at the height of its round trip (green answered ok, red an error answer).
 */
export function HistoryChart({ points, revision }: { points: readonly HistoryPoint[]; revision: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const element = canvas.current;
    const context = element?.getContext('2d');
    if (!element || !context) return;
    const ratio = window.devicePixelRatio || 1;
    const width = element.clientWidth;
    const height = element.clientHeight;
    element.width = width * ratio;
    element.height = height * ratio;
    context.scale(ratio, ratio);
    context.clearRect(0, 0, width, height);
    const now = Date.now();
    const x = (at: number) => width - ((now - at) / WINDOW_MS) * width;
    const recent = points.filter((p) => now - p.at <= WINDOW_MS);
    const latencies = recent.filter((p) => p.kind === 'command').map((p) => p.latencyMs ?? 0);
    const top = Math.max(50, ...latencies) * 1.2;
    const plotHeight = height - 24;
    context.strokeStyle = '#d0d7de';
    context.fillStyle = '#57606a';
    context.font = '11px system-ui, sans-serif';
    for (const ms of [0, top / 2, top]) {
      const y = plotHeight - (ms / top) * plotHeight + 4;
      context.beginPath();
      context.moveTo(36, y);
      context.lineTo(width, y);
      context.stroke();
      context.fillText(`${Math.round(ms)} ms`, 0, y + 4);
    }
    for (const point of recent) {
      if (point.kind === 'state') {
        context.fillStyle = '#0969da';
        context.fillRect(x(point.at) - 1, height - 16, 2, 12);
      } else {
        context.fillStyle = point.ok ? '#1a7f37' : '#cf222e';
        context.beginPath();
        context.arc(x(point.at), plotHeight - ((point.latencyMs ?? 0) / top) * plotHeight + 4, 4, 0, Math.PI * 2);
        context.fill();
      }
    }
  }, [points, revision]);
  return (
    <figure class="chart">
      <canvas ref={canvas} data-testid="history-chart" />
      <figcaption>
        last 2 minutes: <span class="legend state">state changes</span> <span class="legend ok">command latency (ok)</span>{' '}
        <span class="legend error">command latency (error)</span>
      </figcaption>
    </figure>
  );
}
