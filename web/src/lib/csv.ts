// CSV of the licenses in view, with the columns of the server's `licenses.csv`.
import type { License } from '../api/types';

export const CSV_COLUMNS = ['id', 'name', 'key_hint', 'seats_total', 'seats_used', 'expires_at', 'is_active', 'created_at'] as const;

/** Quotes a CSV field when needed (RFC 4180); neutralizes leading formula characters. */
export function csvField(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The CSV text (header line first, CRLF line ends). */
export function licensesCsv(list: License[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const l of list) lines.push(CSV_COLUMNS.map((c) => csvField(l[c])).join(','));
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
