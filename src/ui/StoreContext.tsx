/** React access to the application store (one store per app; tests and the bench make their own). */
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { AppState, AppStore } from '../store/appStore';

const StoreContext = createContext<AppStore | null>(null);

export function StoreProvider({ store, children }: { store: AppStore; children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

export function useAppStore(): AppStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useAppStore outside StoreProvider');
  return store;
}

/** Subscribes to one value of the store; the component re-renders only when it changes. */
export function useApp<T>(selector: (s: AppState) => T): T {
  return useStore(useAppStore(), selector);
}

/** Like useApp for selectors that build an object or array (compared shallowly). */
export function useAppShallow<T>(selector: (s: AppState) => T): T {
  return useStore(useAppStore(), useShallow(selector));
}

/** How often, at most, panels follow the playhead while a trace plays (ms). */
export const PANEL_PACE_MS = 200;

/**
 * Like useApp, for panels that follow the playhead (inspector, event list): while a trace plays
 * they update at most every `PANEL_PACE_MS` (the newest value, never a stale one at the end), so
 * the canvas animation is not interrupted by a React render of the panels at every event; paused,
 * scrubbed or stepped, they update at once. `selector` must be stable (defined at module level).
 */
export function usePacedApp<T>(selector: (s: AppState) => T): T {
  const store = useAppStore();
  const [value, setValue] = useState(() => selector(store.getState()));
  const shown = useRef(value);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last = 0;
    const apply = () => {
      timer = undefined;
      last = performance.now();
      const v = selector(store.getState());
      if (Object.is(v, shown.current)) return;
      shown.current = v;
      setValue(v);
    };
    const onChange = (s: AppState) => {
      if (!s.playing) {
        clearTimeout(timer);
        apply();
        return;
      }
      if (timer !== undefined) return;
      if (Object.is(selector(s), shown.current)) return;
      timer = setTimeout(apply, Math.max(0, PANEL_PACE_MS - (performance.now() - last)));
    };
    apply();
    const unsubscribe = store.subscribe(onChange);
    return () => {
      unsubscribe();
      clearTimeout(timer);
    };
  }, [store, selector]);
  return value;
}
