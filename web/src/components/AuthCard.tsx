// The frame of the pages people see before they are signed in (sign-in, setup, sign-up,
// invitations, resets), and the one way those pages finish a sign-in.
import type { ReactNode } from 'react';
import { useNavigate } from 'react-router';
import type { SessionInfo } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { ThemeToggle } from './ThemeToggle';

/** A centred card with the brand, a title and an optional footer of links. */
export function AuthCard({ title, children, footer }: { title: string; children: ReactNode; footer?: ReactNode }) {
  return (
    <div className="auth-page">
      <div className="auth-card card">
        <div className="brand auth-brand"><span className="brand-mark" aria-hidden>✓</span> CODITECT License Server</div>
        <h1>{title}</h1>
        {children}
        {footer && <div className="auth-footer small">{footer}</div>}
      </div>
      <ThemeToggle />
    </div>
  );
}

/** Stores a sign-in answer (`{user, csrf_token}`) and goes to `to`, replacing the sign-in page in history. */
export function useFinishSignIn(): (s: SessionInfo, to: string) => void {
  const { signedIn } = useAuth();
  const navigate = useNavigate();
  return (s: SessionInfo, to: string) => { signedIn(s); navigate(to, { replace: true }); };
}
