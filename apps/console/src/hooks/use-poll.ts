import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api/client';

/** How often pages refresh (RabbitMQ's UI default is 5 s; a shorter one shows changes sooner). */
export const POLL_MS = 2000;

export interface Polled<T> {
  data: T | undefined;
  error: string | undefined;
  /** The HTTP status of the last failure (404 for a route the broker does not have yet). */
  status: number | undefined;
  reload: () => void;
}

/**
 * Loads `load()` now and every `intervalMs` while the page is shown; `deps` restart it. A failure keeps the last
 * data and reports the error; a slow answer is never overtaken by an older one.
 */
export function usePoll<T>(load: () => Promise<T>, deps: unknown[], intervalMs = POLL_MS): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<{ message: string; status?: number } | undefined>(undefined);
  const generation = useRef(0);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((value) => value + 1), []);
  useEffect(() => {
    const mine = ++generation.current;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const run = async () => {
      try {
        const value = await load();
        if (mine !== generation.current || stopped) return;
        setData(value);
        setError(undefined);
      } catch (failure) {
        if (mine !== generation.current || stopped) return;
        setError({ message: (failure as Error).message, status: failure instanceof ApiError ? failure.status : undefined });
      }
      if (!stopped && intervalMs > 0) timer = setTimeout(run, intervalMs);
    };
    void run();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [...deps, tick]);
  return { data, error: error?.message, status: error?.status, reload };
}
