// Single sign-on on the sign-in page: where a provider button leads, and what each failure
// the server reports (`/dashboard/login?sso_error=<reason>`) means for the person.
import { auth } from '../api/endpoints';
import type { SsoErrorReason } from '../api/types';

/** Where the server serves the dashboard (Vite `base`, BrowserRouter `basename`). */
export const DASHBOARD_BASE = '/dashboard';

const SENTENCES: Record<SsoErrorReason, string> = {
  state_mismatch: 'The sign-in could not be matched to this browser (it was started in another browser or tab, took longer than 10 minutes, or the link was used twice). Please start again.',
  provider_error: 'The provider did not sign you in (you may have cancelled). Try again, or use another way to sign in.',
  token_invalid: 'The answer of the provider could not be verified, so nobody was signed in. Try again; if it keeps failing, tell your administrator.',
  email_unverified: 'Your e-mail address is not verified with the provider. Verify it there, then try again.',
  no_account: 'There is no account for this e-mail address on this server. Ask an owner of your organisation for an invitation.',
  sso_unavailable: 'The sign-in provider cannot be reached right now. Try again in a moment, or use another way to sign in.',
  account_deactivated: 'This account is deactivated, so nobody was signed in. Ask a staff member of this server to reactivate it.',
};

/** The sentence the sign-in page shows for an `sso_error` reason; unknown reasons get a generic one. */
export function ssoErrorSentence(reason: string): string {
  return (SENTENCES as Record<string, string>)[reason] ?? 'Single sign-on did not work. Please try again.';
}

/**
 * The `return_to` of a provider link: the dashboard path the person wanted (`next`, a path
 * inside the router like `/t/x/audit`) under the dashboard's base, or the dashboard's start.
 */
export function ssoReturnTo(next: string | null): string {
  const safe = next && next.startsWith('/') && !next.startsWith('//') && !next.includes('\\') ? next : '/';
  return safe === '/' ? `${DASHBOARD_BASE}/` : `${DASHBOARD_BASE}${safe}`;
}

/** The link of a "Sign in with …" button. */
export function ssoStartHref(providerId: string, next: string | null): string {
  return auth.ssoStartUrl(providerId, ssoReturnTo(next));
}
