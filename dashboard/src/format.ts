/** "12 s ago", "3 min ago", or the time of day for older moments. */
export function ago(at: number | undefined, now: number): string {
  if (at === undefined) return '–';
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return new Date(at).toLocaleTimeString();
}
