/**
 * Keeps the URL fragment and the store in step: the address always says where the learner is
 * (scenario, step, hop), moving to another step or scenario adds a history entry (so Back and
 * Forward work), moving between hops only replaces it.
 */
import { routeOf, type AppStore } from './appStore';
import { type Route, formatHash, parseHash, sameScenario } from './deepLink';

function stepOf(r: Route): number {
  return r.kind === 'scenario' || r.kind === 'payload' ? (r.step ?? 0) : -1;
}

/** Whether going from `prev` to `next` deserves its own history entry. */
export function isNewPlace(prev: Route, next: Route): boolean {
  if (prev.kind === 'home' || prev.kind === 'unknown') return false;
  if (!sameScenario(prev, next)) return true;
  return stepOf(prev) !== stepOf(next);
}

export function connectUrl(store: AppStore, win: Window = window): () => void {
  let written = win.location.hash;
  const go = () => void store.getState().navigate(parseHash(win.location.hash));
  const onChange = () => {
    if (win.location.hash === written) return;
    written = win.location.hash;
    go();
  };
  win.addEventListener('popstate', onChange);
  win.addEventListener('hashchange', onChange);
  const unsubscribe = store.subscribe(
    (s) => (s.loadState === 'ready' && !s.busy ? routeOf(s) : null),
    (route) => {
      if (!route) return;
      const hash = formatHash(route);
      if (hash === win.location.hash) {
        written = hash;
        return;
      }
      const url = `${win.location.pathname}${win.location.search}${hash}`;
      if (isNewPlace(parseHash(win.location.hash), route)) win.history.pushState(null, '', url);
      else win.history.replaceState(null, '', url);
      written = hash;
    },
    { equalityFn: (a, b) => (a ? formatHash(a) : null) === (b ? formatHash(b) : null) },
  );
  go();
  return () => {
    unsubscribe();
    win.removeEventListener('popstate', onChange);
    win.removeEventListener('hashchange', onChange);
  };
}
