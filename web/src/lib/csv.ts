// CSV of the licenses in view, with the columns of the server's `licenses.csv`, and of
// the audit log.
import type { AuditEntry, License } from '../api/types';
import { licenseStatus } from './format';

/** The server's `licenses.csv` columns: the first eight by position as before, then the rest. */
export const CSV_COLUMNS = [
  'id', 'name', 'key_hint', 'seats_total', 'seats_used', 'expires_at', 'is_active', 'created_at',
  'state', 'heartbeat_ttl_seconds', 'max_borrow_hours', 'entitlements', 'metadata',
] as const;

/** Quotes a CSV field when needed (RFC 4180); neutralizes leading formula characters. */
export function csvField(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One license's value of a column, written as the server writes it. */
function licenseCell(l: License, c: (typeof CSV_COLUMNS)[number], now: number): unknown {
  switch (c) {
    case 'state': return licenseStatus(l, now);
    case 'max_borrow_hours': return l.max_borrow_hours ?? 0;
    case 'entitlements': return l.entitlements.join(';');
    case 'metadata': return JSON.stringify(l.metadata ?? {});
    default: return l[c];
  }
}

/** The CSV text (header line first, CRLF line ends). */
export function licensesCsv(list: License[], now = Date.now()): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const l of list) lines.push(CSV_COLUMNS.map((c) => csvField(licenseCell(l, c, now))).join(','));
  return lines.join('\r\n') + '\r\n';
}

/** Offers text as a file download. */
export function downloadText(filename: string, text: string, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** The columns of the audit log's CSV export. */
export const AUDIT_CSV_COLUMNS = ['at', 'action', 'actor_type', 'actor', 'resource', 'resource_id', 'about', 'license_id', 'before', 'after'] as const;

/**
 * The audit entries as CSV: one line per entry, `about` naming the resource in words (as
 * the page shows it), before and after as JSON text.
 */
export function auditCsv(entries: AuditEntry[], about: (e: AuditEntry) => { label: string; licenseId: string | null }): string {
  const lines: string[] = [AUDIT_CSV_COLUMNS.join(',')];
  for (const e of entries) {
    const t = about(e);
    const json = (v: unknown) => (v === null || v === undefined ? '' : JSON.stringify(v));
    lines.push([e.at, e.action, e.actor.type, e.actor.name ?? e.actor.id ?? '', e.resource, e.resource_id ?? '', t.label, t.licenseId ?? '', json(e.before), json(e.after)].map(csvField).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}
