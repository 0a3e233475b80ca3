/** Entry point: one store, wired to the engine worker and the URL, rendered by the App. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './ui/styles.css';
import { createAppStore } from './store/appStore';
import { createWorkerEngine } from './store/engine';
import { connectUrl } from './store/urlSync';
import { App } from './ui/App';
import { StoreProvider } from './ui/StoreContext';

const store = createAppStore({ engine: createWorkerEngine });

// A testing aid (used by the end-to-end tests): `?debug` exposes a way to crash the engine worker.
if (new URLSearchParams(location.search).has('debug')) {
  (window as unknown as { packetLife: unknown }).packetLife = {
    crashEngine: () => store.getState().debugCrash(),
  };
}

const media = window.matchMedia('(prefers-reduced-motion: reduce)');
store.getState().setReducedMotion(media.matches);
media.addEventListener('change', (e) => store.getState().setReducedMotion(e.matches));

connectUrl(store);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoreProvider store={store}>
      <App />
    </StoreProvider>
  </StrictMode>,
);
