// A confirmation dialog for changes that are easy to click by mistake and hard to undo in
// the head (a member's role, suspending many licenses at once). Pages call `confirm(...)`
// from the hook and act only when it resolves true; the dialog is modal, names what will
// change, closes with Escape or Cancel (false), and puts focus on Cancel, the safe choice.
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';

/** What the dialog asks. */
export interface ConfirmRequest {
  /** The question, e.g. "Change the role of ana@acme.test?". */
  title: string;
  /** What will happen, in a sentence or two. */
  body?: ReactNode;
  /** The confirming button's words, e.g. "Change role". */
  confirmLabel: string;
  /** A red confirming button, for changes that take something away. */
  danger?: boolean;
}

interface Pending extends ConfirmRequest {
  resolve: (ok: boolean) => void;
}

/** The dialog itself (rendered by `useConfirm`). */
export function ConfirmDialog({ request, onAnswer }: { request: ConfirmRequest; onAnswer: (ok: boolean) => void }) {
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    cancel.current?.focus();
    const onKey = (e: KeyboardEvent) => { if (e.key === 'Escape') onAnswer(false); };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onAnswer]);
  return (
    <div className="dialog-backdrop" onClick={(e) => { if (e.target === e.currentTarget) onAnswer(false); }}>
      <div className="dialog card" role="alertdialog" aria-modal="true" aria-labelledby="confirm-title" aria-describedby="confirm-body">
        <h2 id="confirm-title">{request.title}</h2>
        {request.body && <div id="confirm-body" className="small">{request.body}</div>}
        <div className="row dialog-actions">
          <button type="button" className={request.danger ? 'btn btn-danger' : 'btn btn-primary'} onClick={() => onAnswer(true)}>{request.confirmLabel}</button>
          <button type="button" className="btn btn-ghost" ref={cancel} onClick={() => onAnswer(false)}>Cancel</button>
        </div>
      </div>
    </div>
  );
}

/**
 * `[dialog, confirm]`: render `dialog` anywhere in the page; `await confirm({...})` shows it
 * and resolves true when the person confirms, false when they cancel.
 */
export function useConfirm(): [ReactNode, (r: ConfirmRequest) => Promise<boolean>] {
  const [pending, setPending] = useState<Pending | null>(null);
  const confirm = useCallback((r: ConfirmRequest) => new Promise<boolean>((resolve) => setPending({ ...r, resolve })), []);
  const answer = useCallback((ok: boolean) => {
    setPending((p) => { p?.resolve(ok); return null; });
  }, []);
  return [pending ? <ConfirmDialog request={pending} onAnswer={answer} /> : null, confirm];
}
