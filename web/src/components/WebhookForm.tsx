// The form that registers a webhook endpoint or changes one: URL, the events it
// receives, a description. The server checks the URL (https, and where its host
// resolves); its messages are shown under the field.
import { useState } from 'react';
import { ApiError } from '../api/client';
import { WEBHOOK_EVENTS, type WebhookEndpoint, type WebhookInput } from '../api/types';
import { ErrorNotice } from './ui';

export function WebhookForm({ initial, submitLabel, onSubmit, onCancel }: {
  initial?: WebhookEndpoint;
  submitLabel: string;
  onSubmit: (body: WebhookInput) => Promise<void>;
  onCancel?: () => void;
}) {
  const [url, setUrl] = useState(initial?.url ?? '');
  const [description, setDescription] = useState(initial?.description ?? '');
  const [events, setEvents] = useState<string[]>(initial?.events ?? ['seat.denied']);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const fields = error instanceof ApiError ? error.fieldErrors : {};
  const toggle = (e: string) => setEvents((cur) => (cur.includes(e) ? cur.filter((x) => x !== e) : [...cur, e]));
  const submit = async (ev: React.FormEvent) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSubmit({ url: url.trim(), events: WEBHOOK_EVENTS.filter((e) => events.includes(e)), description: description.trim() || null });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="form" aria-label={submitLabel} onSubmit={submit}>
      <label>
        <span>Endpoint URL</span>
        <input type="url" required value={url} placeholder="https://hooks.example.com/coditect" onChange={(e) => setUrl(e.target.value)} />
        {fields.url && <span className="field-error">URL {fields.url}</span>}
      </label>
      <label>
        <span>Description</span>
        <input value={description} maxLength={500} placeholder="What receives these events" onChange={(e) => setDescription(e.target.value)} />
      </label>
      <fieldset className="checks">
        <legend>Events</legend>
        {WEBHOOK_EVENTS.map((e) => (
          <label key={e} className="check"><input type="checkbox" checked={events.includes(e)} onChange={() => toggle(e)} /> <code>{e}</code></label>
        ))}
        {fields.events && <span className="field-error">Events {fields.events}</span>}
      </fieldset>
      {Object.keys(fields).length === 0 && <ErrorNotice error={error} />}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy || events.length === 0}>{submitLabel}</button>
        {onCancel && <button type="button" className="btn btn-ghost" onClick={onCancel}>Cancel</button>}
      </div>
    </form>
  );
}
