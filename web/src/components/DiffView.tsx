// Before/after table of an audit entry.
import { diffRows, showValue } from '../lib/diff';

export function DiffView({ before, after, showUnchanged = false }: { before: unknown; after: unknown; showUnchanged?: boolean }) {
  const rows = diffRows(before, after).filter((r) => showUnchanged || r.kind !== 'unchanged');
  if (rows.length === 0) return <p className="muted small">No recorded fields.</p>;
  return (
    <table className="diff" data-testid="diff">
      <thead>
        <tr><th>Field</th><th>Before</th><th>After</th></tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.path} className={`diff-${r.kind}`} data-kind={r.kind}>
            <th scope="row"><code>{r.path}</code></th>
            <td className="diff-before">{r.kind === 'added' ? <span className="muted">—</span> : <code>{showValue(r.before)}</code>}</td>
            <td className="diff-after">{r.kind === 'removed' ? <span className="muted">—</span> : <code>{showValue(r.after)}</code>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
