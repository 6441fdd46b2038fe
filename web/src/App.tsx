// Routes of the dashboard (served under /dashboard/).
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { useAuth } from './auth/AuthContext';
import { Layout } from './components/Layout';
import { Spinner } from './components/ui';
import { AnalyticsPage } from './pages/AnalyticsPage';
import { AuditPage } from './pages/AuditPage';
import { BillingEventsPage } from './pages/BillingEventsPage';
import { AccountPage } from './pages/AccountPage';
import { AcceptInvitePage, ForgotPasswordPage, LoginPage, ResetPasswordPage, SetupPage } from './pages/AuthPages';
import { LicenseDetailPage } from './pages/LicenseDetailPage';
import { LicensesPage } from './pages/LicensesPage';
import { OutboxPage } from './pages/OutboxPage';
import { PeoplePage } from './pages/PeoplePage';
import { ProductPage } from './pages/ProductPage';
import { ProductsPage } from './pages/ProductsPage';
import { SignupPage, VerifySignupPage } from './pages/SignupPages';
import { StaffPage } from './pages/StaffPage';
import { TrustedIssuersPage } from './pages/TrustedIssuersPage';
import { UsagePage } from './pages/UsagePage';
import { WebhooksPage } from './pages/WebhooksPage';

function RequireAuth({ children }: { children: React.ReactNode }) {
  const { user } = useAuth();
  const location = useLocation();
  if (user === undefined) return <div className="center-page"><Spinner /></div>;
  if (user === null) {
    const next = location.pathname + location.search;
    return <Navigate to={`/login${next && next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`} replace />;
  }
  return <>{children}</>;
}

/** Staff-only pages: anyone else is sent home before the page asks the server for anything. */
function RequireStaff({ children }: { children: React.ReactNode }) {
  const { user } = useAuth();
  if (!user?.is_staff) return <Navigate to="/" replace />;
  return <>{children}</>;
}

/** Where `/` leads: the first tenant, or the staff view, or a note for people without any. */
function Home() {
  const { user } = useAuth();
  if (!user) return null;
  if (user.memberships.length > 0) return <Navigate to={`/t/${user.memberships[0].tenant_id}/licenses`} replace />;
  if (user.is_staff) return <Navigate to="/staff" replace />;
  return (
    <div className="card">
      <h1>No tenant yet</h1>
      <p>You are signed in, but no tenant has given you access. Ask an owner or admin of your organization to invite you.</p>
    </div>
  );
}

function NotFound() {
  return <div className="card"><h1>Page not found</h1><p className="muted">This address does not match a dashboard page.</p></div>;
}

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/setup" element={<SetupPage />} />
      <Route path="/forgot-password" element={<ForgotPasswordPage />} />
      <Route path="/reset-password" element={<ResetPasswordPage />} />
      <Route path="/accept-invitation" element={<AcceptInvitePage />} />
      <Route path="/accept-invite" element={<AcceptInvitePage />} />
      <Route path="/signup" element={<SignupPage />} />
      <Route path="/verify-signup" element={<VerifySignupPage />} />
      <Route element={<RequireAuth><Layout /></RequireAuth>}>
        <Route index element={<Home />} />
        <Route path="/account" element={<AccountPage />} />
        <Route path="/staff" element={<StaffPage />} />
        <Route path="/products" element={<RequireStaff><ProductsPage /></RequireStaff>} />
        <Route path="/products/:productId" element={<RequireStaff><ProductPage /></RequireStaff>} />
        <Route path="/billing/events" element={<RequireStaff><BillingEventsPage /></RequireStaff>} />
        <Route path="/webhooks" element={<RequireStaff><WebhooksPage /></RequireStaff>} />
        <Route path="/outbox" element={<RequireStaff><OutboxPage /></RequireStaff>} />
        <Route path="/t/:tenantId" element={<Navigate to="licenses" replace />} />
        <Route path="/t/:tenantId/licenses" element={<LicensesPage />} />
        <Route path="/t/:tenantId/licenses/:licenseId" element={<LicenseDetailPage />} />
        <Route path="/t/:tenantId/analytics" element={<AnalyticsPage />} />
        <Route path="/t/:tenantId/usage" element={<UsagePage />} />
        <Route path="/t/:tenantId/webhooks" element={<WebhooksPage />} />
        <Route path="/t/:tenantId/audit" element={<AuditPage />} />
        <Route path="/t/:tenantId/people" element={<PeoplePage />} />
        <Route path="/t/:tenantId/trusted-issuers" element={<TrustedIssuersPage />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}
