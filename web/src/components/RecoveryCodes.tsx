// The recovery codes of a second factor, shown once right after they were made: the server
// keeps only their hashes, so this is the only chance to copy them.
import { CopyButton } from './ui';

/** The codes with a copy button and an "I have saved them" button that closes them for good. */
export function RecoveryCodes({ codes, onSaved, savedLabel = 'I have saved them' }: { codes: string[]; onSaved: () => void; savedLabel?: string }) {
  return (
    <div className="notice notice-warn" role="status" data-testid="recovery-codes">
      <strong>Your recovery codes.</strong> Each works once, in place of a code from your app, if you lose your phone.
      Store them somewhere safe now: they are never shown again.
      <ul className="recovery-codes">
        {codes.map((c) => <li key={c}><code>{c}</code></li>)}
      </ul>
      <div className="row">
        <CopyButton text={codes.join('\n')} label="Copy codes" />
        <button type="button" className="btn btn-primary btn-small" onClick={onSaved}>{savedLabel}</button>
      </div>
    </div>
  );
}
