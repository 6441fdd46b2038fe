// Small building blocks shared by every page.
import { useState, type ReactNode } from 'react';
import { ApiError } from '../api/client';

/** Explains a failed call: the server's message, its code and request id for support. */
export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : null;
  const message = e ? friendlyMessage(e) : error instanceof Error ? error.message : String(error);
  return (
    <div className="notice notice-error" role="alert">
      {title && <strong>{title}: </strong>}
      {message}
      {e && e.code !== 'network_error' && (
        <span className="muted small"> ({e.code}{e.requestId ? ` · request ${e.requestId}` : ''})</span>
      )}
    </div>
  );
}

/** A message for people, from the error's code. */
export function friendlyMessage(e: ApiError): string {
  switch (e.code) {
    case 'forbidden':
      // A deactivated account's sign-in says so (issue 15); other refusals are about roles.
      return e.details.reason === 'account_deactivated' ? e.message : 'Your role does not allow this.';
    case 'csrf_failed': return 'Your session changed in another tab. Reload the page and try again.';
    case 'rate_limited': {
      const wait = e.retryAfter;
      return `Too many attempts. Try again ${wait !== null ? `in ${wait} s` : 'later'}.`;
    }
    case 'validation_error':
    case 'validation_failed': {
      const fields = Object.entries(e.fieldErrors).map(([k, v]) => `${k}: ${v}`);
      return fields.length ? `Please fix: ${fields.join('; ')}` : e.message;
    }
    default: return e.message;
  }
}

/** A success or information line. */
export function Notice({ children, kind = 'ok' }: { children: ReactNode; kind?: 'ok' | 'info' | 'warn' }) {
  return <div className={`notice notice-${kind}`} role="status">{children}</div>;
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return <div className="spinner" role="status" aria-live="polite"><span className="spinner-dot" />{label}</div>;
}

/** A coloured pill for a status word. */
export function Badge({ children, tone }: { children: ReactNode; tone: 'ok' | 'warn' | 'bad' | 'muted' | 'info' }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

/** The status of a license as a badge. */
export function LicenseStatusBadge({ status }: { status: 'valid' | 'suspended' | 'expired' }) {
  const tone = status === 'valid' ? 'ok' : status === 'suspended' ? 'warn' : 'bad';
  return <Badge tone={tone}>{status}</Badge>;
}

/** A button that asks "sure?" in place before running a destructive action. */
export function ConfirmButton({ children, confirmLabel, onConfirm, disabled, className = 'btn btn-danger', title }: {
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void | Promise<void>;
  disabled?: boolean;
  className?: string;
  title?: string;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  if (!asking) {
    return <button type="button" className={className} disabled={disabled} title={title} onClick={() => setAsking(true)}>{children}</button>;
  }
  return (
    <span className="confirm">
      <button type="button" className="btn btn-danger" disabled={busy} onClick={async () => {
        setBusy(true);
        try { await onConfirm(); } finally { setBusy(false); setAsking(false); }
      }}>{confirmLabel}</button>
      <button type="button" className="btn btn-ghost" disabled={busy} onClick={() => setAsking(false)}>Cancel</button>
    </span>
  );
}

/** Copies text to the clipboard, with a fallback for pages not served over HTTPS. */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall through to the textarea way */
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.appendChild(ta);
  ta.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch { ok = false; }
  ta.remove();
  return ok;
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'ok' | 'fail'>('idle');
  return (
    <button type="button" className="btn btn-small" onClick={async () => {
      setState((await copyText(text)) ? 'ok' : 'fail');
      setTimeout(() => setState('idle'), 2000);
    }}>
      {state === 'ok' ? 'Copied' : state === 'fail' ? 'Copy failed' : label}
    </button>
  );
}

/** Page title row with optional actions on the right. */
export function PageHeader({ title, subtitle, actions }: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <div className="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle && <p className="muted">{subtitle}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </div>
  );
}

/** Previous / next buttons with "page x of y". */
export function Pager({ page, pages, onPage }: { page: number; pages: number; onPage: (p: number) => void }) {
  return (
    <nav className="pager" aria-label="Pagination">
      <button type="button" className="btn btn-small" disabled={page <= 1} onClick={() => onPage(page - 1)}>‹ Previous</button>
      <span className="muted">Page {page} of {pages}</span>
      <button type="button" className="btn btn-small" disabled={page >= pages} onClick={() => onPage(page + 1)}>Next ›</button>
    </nav>
  );
}

/** Newer / older buttons for a cursor-paged listing (the server gives only `next_cursor`). */
export function CursorPager({ pageNo, hasNewer, hasOlder, onNewer, onOlder, newerLabel = '‹ Newer', olderLabel = 'Older ›' }: {
  pageNo: number; hasNewer: boolean; hasOlder: boolean; onNewer: () => void; onOlder: () => void; newerLabel?: string; olderLabel?: string;
}) {
  return (
    <nav className="pager" aria-label="Pagination">
      <button type="button" className="btn btn-small" disabled={!hasNewer} onClick={onNewer}>{newerLabel}</button>
      <span className="muted">Page {pageNo}</span>
      <button type="button" className="btn btn-small" disabled={!hasOlder} onClick={onOlder}>{olderLabel}</button>
    </nav>
  );
}

/** A big number with its label. */
export function Stat({ label, value, hint }: { label: string; value: ReactNode; hint?: ReactNode }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      {hint && <div className="stat-hint muted small">{hint}</div>}
    </div>
  );
}
