// "Sign in with <provider>" buttons: plain links that leave the app for the server's OIDC
// start endpoint, which sends the browser on to the provider and back.
import type { SsoProvider } from '../api/types';
import { ssoStartHref } from '../lib/sso';

/** One link per configured provider; `next` is the dashboard path to come back to. Renders nothing without providers. */
export function SsoButtons({ providers, next, verb = 'Sign in with' }: { providers: SsoProvider[]; next: string | null; verb?: string }) {
  if (providers.length === 0) return null;
  return (
    <div className="sso-buttons" id="sso-buttons" role="group" aria-label="Single sign-on">
      <div className="sso-divider small muted"><span>or</span></div>
      {providers.map((p) => (
        <a key={p.id} className="btn sso-button" data-testid={`sso-${p.id}`} href={ssoStartHref(p.id, next)}>
          {verb} {p.name}
        </a>
      ))}
    </div>
  );
}
