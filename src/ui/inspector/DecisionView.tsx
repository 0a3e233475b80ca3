/** A decision the kernel took, as the engine recorded it: route lookup, ARP, bridge FDB, netfilter, drop. */
import type { Decision } from '../../engine/sim/trace';

function RouteView({ d }: { d: Extract<Decision, { kind: 'route' }> }) {
  return (
    <>
      <h4 className="decision-title">
        Route lookup for <code>{d.destination}</code>{' '}
        <span className="muted">· table {d.table}</span>
      </h4>
      {d.rows.length === 0 ? (
        <p className="muted">The table is empty.</p>
      ) : (
        <div className="table-scroll">
          <table className="route-table">
            <thead>
              <tr>
                <th scope="col">Route</th>
                <th scope="col">Destination AND mask</th>
                <th scope="col">Match</th>
              </tr>
            </thead>
            <tbody>
              {d.rows.map((r, i) => (
                <tr
                  key={i}
                  className={`${i === d.chosen ? 'chosen' : ''} ${r.matches ? 'match' : 'nomatch'}`}
                >
                  <td>
                    <code>{r.text}</code>
                    {i === d.chosen && <span className="chosen-badge">chosen</span>}
                  </td>
                  <td>
                    <code>{r.masked}</code>
                  </td>
                  <td className="match-cell" aria-label={r.matches ? 'matches' : 'does not match'}>
                    {r.matches ? '✓' : '✗'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {d.omitted !== undefined && (
            <p className="muted">
              {d.omitted} more {d.omitted === 1 ? 'route does' : 'routes do'} not match.
            </p>
          )}
        </div>
      )}
      <p className="decision-result">
        <span aria-hidden="true">→</span> {d.result}
      </p>
      {d.rows.filter((r) => r.matches).length > 1 && (
        <p className="hint">
          Several routes match; the kernel takes the most specific one (the longest prefix).
        </p>
      )}
    </>
  );
}

function NeighView({ d }: { d: Extract<Decision, { kind: 'neigh' }> }) {
  return (
    <>
      <h4 className="decision-title">
        ARP cache: <code>{d.ip}</code> on <code>{d.dev}</code>
      </h4>
      <dl className="kv">
        <dt>State</dt>
        <dd>
          <span className={`neigh-state neigh-${d.state.toLowerCase()}`}>{d.state}</span>
        </dd>
        {d.mac && (
          <>
            <dt>MAC</dt>
            <dd>
              <code>{d.mac}</code>
            </dd>
          </>
        )}
      </dl>
      <p className="decision-result">
        <span aria-hidden="true">→</span> {d.action}
      </p>
    </>
  );
}

function FdbView({ d }: { d: Extract<Decision, { kind: 'fdb' }> }) {
  const what = {
    forward: 'forward',
    flood: 'flood to every other port',
    local: 'deliver to the bridge itself',
    drop: 'drop',
    learn: 'learn the source',
  }[d.action];
  return (
    <>
      <h4 className="decision-title">
        Bridge forwarding table (FDB): <code>{d.mac}</code>
      </h4>
      <p className="decision-result">
        <span aria-hidden="true">→</span> {what}
        {d.port ? (
          <>
            {' '}
            via <code>{d.port}</code>
          </>
        ) : null}
      </p>
      {d.entries.length > 0 && (
        <ul className="fdb-list">
          {d.entries.map((e, i) => (
            <li key={i} className={e.startsWith(d.mac) ? 'hit' : ''}>
              <code>{e}</code>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function NetfilterView({ d }: { d: Extract<Decision, { kind: 'netfilter' }> }) {
  return (
    <>
      <h4 className="decision-title">
        netfilter <code>{d.hook}</code>{' '}
        <span className={`verdict-chip verdict-${d.verdict.toLowerCase()}`}>{d.verdict}</span>
      </h4>
      {d.walks.length > 0 && (
        <ol className="chain-walks">
          {d.walks.map((w, i) => (
            <li key={i} className={w.matched ? 'matched' : ''}>
              <div className="walk-head">
                <code className="walk-chain">
                  {w.table}/{w.chain}
                </code>
                <span className="muted">
                  {w.evaluated} rule{w.evaluated === 1 ? '' : 's'} tried
                </span>
                <span className="walk-outcome">→ {w.outcome}</span>
              </div>
              {w.matched && <code className="walk-rule">{w.matched}</code>}
            </li>
          ))}
        </ol>
      )}
      {d.nat && (
        <div className="nat-box">
          <div>
            <span className="muted">before</span> <code>{d.nat.before}</code>
          </div>
          <div>
            <span className="muted">after</span> <code className="changed">{d.nat.after}</code>
          </div>
          {d.nat.rule && (
            <div>
              <span className="muted">rule</span> <code>{d.nat.rule}</code>
            </div>
          )}
        </div>
      )}
      {(d.ctstate || d.conntrack) && (
        <dl className="kv">
          {d.ctstate && (
            <>
              <dt>conntrack state</dt>
              <dd>{d.ctstate}</dd>
            </>
          )}
          {d.conntrack && (
            <>
              <dt>entry</dt>
              <dd>
                <code>{d.conntrack}</code>
              </dd>
            </>
          )}
        </dl>
      )}
    </>
  );
}

export function DecisionView({ decision }: { decision: Decision }) {
  switch (decision.kind) {
    case 'route':
      return <RouteView d={decision} />;
    case 'neigh':
      return <NeighView d={decision} />;
    case 'fdb':
      return <FdbView d={decision} />;
    case 'netfilter':
      return <NetfilterView d={decision} />;
    case 'drop':
      return (
        <>
          <h4 className="decision-title drop-title">
            Dropped: <code>{decision.reason}</code>
          </h4>
          <p className="decision-result">{decision.text}</p>
        </>
      );
    case 'note':
      return <p className="decision-result">{decision.text}</p>;
    default: {
      const unknown = decision as { kind: string };
      return (
        <>
          <h4 className="decision-title">{unknown.kind}</h4>
          <pre className="raw">{JSON.stringify(unknown, null, 2)}</pre>
        </>
      );
    }
  }
}

export const DECISION_NAMES: Record<string, string> = {
  route: 'Routing decision',
  neigh: 'Neighbour (ARP) lookup',
  fdb: 'Bridge forwarding',
  netfilter: 'Netfilter',
  drop: 'Drop',
  note: 'Note',
};
