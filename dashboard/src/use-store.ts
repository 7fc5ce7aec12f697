import { useEffect, useState } from 'preact/hooks';
import type { FleetStore } from './fleet-store.js';

/** Re-renders the calling component when the store changes (at most once per frame). */
export function useStore(store: FleetStore): number {
  const [revision, setRevision] = useState(store.revision);
  useEffect(() => store.subscribe(() => setRevision(store.revision)), [store]);
  return revision;
}
