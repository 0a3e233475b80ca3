/** The gallery: every scenario in scenarios/, loaded lazily, and opening one from a file. */
import { useEffect, useState } from 'react';
import { type CatalogEntry, listCatalog } from '../../store/catalog';
import { Dialog } from '../chrome/Dialog';
import { useApp, useAppStore } from '../StoreContext';

export function Gallery({ onOpenFile }: { onOpenFile: () => void }) {
  const store = useAppStore();
  const open = useApp((s) => s.galleryOpen);
  const source = useApp((s) => s.source);
  const [entries, setEntries] = useState<CatalogEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!open || entries) return;
    listCatalog().then(setEntries, (e: unknown) =>
      setError(e instanceof Error ? e.message : String(e)),
    );
  }, [open, entries]);

  const close = () => store.getState().setGalleryOpen(false);
  return (
    <Dialog open={open} onClose={close} title="Scenarios" className="gallery" wide>
      <p className="muted">
        Each one replays an article's walkthrough in a model of the Linux network stack. Pick one,
        or open your own scenario file.
      </p>
      {error && <p className="error-text">Could not list the scenarios: {error}</p>}
      {!entries && !error && <p className="muted">Loading…</p>}
      {entries && (
        <ul className="gallery-grid">
          {entries.map((e) => {
            const current = source?.kind === 'builtin' && source.id === e.id;
            return (
              <li key={e.id}>
                <article className={`card${current ? ' current' : ''}`}>
                  <h3>{e.title}</h3>
                  <p className="card-source">
                    {e.article}
                    {e.section ? ` · ${e.section}` : ''}
                  </p>
                  <p className="card-summary">{e.summary}</p>
                  <div className="card-foot">
                    <span className="muted small">
                      {e.steps} steps · {e.hosts} {e.hosts === 1 ? 'machine' : 'machines'}
                    </span>
                    <button
                      type="button"
                      className="button primary small"
                      aria-label={`Open ${e.title}`}
                      onClick={() => {
                        close();
                        void store.getState().openBuiltin(e.id);
                      }}
                    >
                      {current ? 'Restart' : 'Open'}
                    </button>
                  </div>
                </article>
              </li>
            );
          })}
        </ul>
      )}
      <footer className="dialog-foot">
        <button
          type="button"
          className="button secondary"
          onClick={() => {
            close();
            onOpenFile();
          }}
        >
          Open a scenario file…
        </button>
        <span className="muted small">or drop a .json file anywhere on the page</span>
      </footer>
    </Dialog>
  );
}
