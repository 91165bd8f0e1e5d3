import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Loads again now. */
  reload: () => void;
}

/**
 * Loads `load()` once, again whenever `deps` change, and every `refreshMs`
 * while the page is shown (never two loads at once). A failed refresh keeps
 * the last data and reports the error beside it.
 */
export function useResource<T>(load: () => Promise<T>, deps: unknown[], refreshMs?: number): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const busy = useRef(false);
  const loader = useRef(load);
  loader.current = load;

  const run = useCallback(async () => {
    if (busy.current) return;
    busy.current = true;
    const mine = generation.current;
    try {
      const value = await loader.current();
      if (mine === generation.current) {
        setData(value);
        setError(undefined);
      }
    } catch (failure) {
      if (mine === generation.current) setError(failure);
    } finally {
      busy.current = false;
      if (mine === generation.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    generation.current += 1;
    busy.current = false;
    setLoading(true);
    setData(undefined);
    void run();
    if (refreshMs === undefined) return;
    const timer = setInterval(() => void run(), refreshMs);
    return () => clearInterval(timer);
  }, deps);

  return { data, error, loading, reload: () => void run() };
}
