// Mail honesty: whether this server sends mail at all (CODITECT_SMTP_URL), the banner staff
// see on every page when it does not, and the sentences pages use after queuing a mail, so
// that no page says "sent" when nothing leaves the server.
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { mailStatus } from '../api/endpoints';
import { useAuth } from '../auth/AuthContext';

let cached: Promise<boolean | null> | null = null;

/** Asks the server once per page load; `null` when it does not say (older servers, errors). */
function loadMailConfigured(): Promise<boolean | null> {
  cached ??= mailStatus().then((s) => s.mail?.configured ?? null, () => null);
  return cached;
}

/** Forgets the cached answer (tests). */
export function forgetMailStatus(): void {
  cached = null;
}

/** Whether this server sends mail: `true`, `false`, or `null` while unknown. */
export function useMailConfigured(): boolean | null {
  const [configured, setConfigured] = useState<boolean | null>(null);
  useEffect(() => {
    let live = true;
    void loadMailConfigured().then((c) => { if (live) setConfigured(c); });
    return () => { live = false; };
  }, []);
  return configured;
}

/** The honest sentence about a mail a page just queued for `to`. */
export function queuedMailSentence(what: string, to: string, configured: boolean | null): string {
  if (configured === false) {
    return `The ${what} for ${to} is queued but not sent: this server has no mail server configured (CODITECT_SMTP_URL). It will go out once one is.`;
  }
  return `The ${what} for ${to} is queued and goes out by mail in a moment.`;
}

/** Staff only: on every page while mail is not configured, saying what that means. */
export function MailBanner() {
  const { user } = useAuth();
  const configured = useMailConfigured();
  if (!user?.is_staff || configured !== false) return null;
  return (
    <div className="notice notice-warn mail-banner" role="status" data-testid="mail-banner">
      <strong>Mail is not configured.</strong> <code>CODITECT_SMTP_URL</code> is not set, so invitations,
      password resets and sign-up mails stay queued in the outbox and are not sent. <Link to="/outbox">See the outbox</Link>
    </div>
  );
}
