// Billing display rules: which badge a license gets from its subscription (or trial flag),
// the tones of subscription and stored-event statuses, the Stripe dashboard link, and the
// billing events page's URL filters. Pure functions, so the rules are unit tested.
import type { BillingEventStatus, License, SubscriptionStatus } from '../api/types';

type Tone = 'ok' | 'warn' | 'bad' | 'muted' | 'info';

/** The billing situation a person should notice at a glance in the licenses list. */
export type BillingKind = 'trialing' | 'past_due' | 'cancelling' | 'canceled' | 'active' | 'incomplete' | 'paused';

/** A badge for the licenses list: what to show, its colour and a longer explanation. */
export interface BillingBadgeInfo {
  kind: BillingKind;
  label: string;
  tone: Tone;
  title: string;
}

/**
 * The billing badge of a license, or null for a license made by hand (no subscription, no
 * trial). The most pressing state wins: canceled, then a payment problem (past due,
 * unpaid), then a cancellation at period end, then a trial; a healthy subscription shows
 * as "subscribed". A self-service trial has no subscription but `metadata.trial` true.
 */
export function billingBadge(l: Pick<License, 'subscription' | 'metadata'>): BillingBadgeInfo | null {
  const sub = l.subscription;
  if (!sub) {
    if (l.metadata?.trial === true) return { kind: 'trialing', label: 'trial', tone: 'info', title: 'Self-service trial (no subscription yet)' };
    return null;
  }
  const end = sub.current_period_end ? ` (${sub.current_period_end.slice(0, 10)})` : '';
  switch (sub.status) {
    case 'canceled': return { kind: 'canceled', label: 'canceled', tone: 'muted', title: 'The subscription was canceled' };
    case 'past_due': return { kind: 'past_due', label: 'past due', tone: 'bad', title: 'A payment failed; the license works until its grace period ends' };
    case 'unpaid': return { kind: 'past_due', label: 'unpaid', tone: 'bad', title: 'Payments failed; Stripe marked the subscription unpaid' };
    default: break;
  }
  if (sub.cancel_at_period_end) {
    return { kind: 'cancelling', label: 'cancelling', tone: 'warn', title: `${sub.status === 'trialing' ? 'Trial; c' : 'C'}ancels at the end of the period${end}` };
  }
  switch (sub.status) {
    case 'trialing': return { kind: 'trialing', label: 'trial', tone: 'info', title: `Subscription in its trial period${end}` };
    case 'active': return { kind: 'active', label: 'subscribed', tone: 'ok', title: `Paid subscription, renews${end}` };
    case 'incomplete': return { kind: 'incomplete', label: 'incomplete', tone: 'warn', title: 'The first payment has not gone through yet' };
    case 'incomplete_expired': return { kind: 'incomplete', label: 'incomplete', tone: 'muted', title: 'The first payment never went through; the subscription expired' };
    case 'paused': return { kind: 'paused', label: 'paused', tone: 'muted', title: 'The subscription is paused' };
    default: return { kind: 'active', label: String(sub.status), tone: 'muted', title: `Subscription status ${String(sub.status)}` };
  }
}

/** The colour of a subscription status on the license detail page. */
export function subscriptionTone(status: SubscriptionStatus): Tone {
  switch (status) {
    case 'active': return 'ok';
    case 'trialing': return 'info';
    case 'past_due': case 'unpaid': return 'bad';
    case 'incomplete': return 'warn';
    default: return 'muted';
  }
}

/** A status word for people: `past_due` reads "past due". */
export function statusLabel(status: string): string {
  return status.replace(/_/g, ' ');
}

/** The page of a Stripe customer in Stripe's dashboard, where staff see invoices and payments. */
export function stripeCustomerUrl(customerId: string): string {
  return `https://dashboard.stripe.com/customers/${encodeURIComponent(customerId)}`;
}

/** The colour of a stored event's status: applied is done, pending waits, ignored did nothing. */
export function eventStatusTone(status: BillingEventStatus): Tone {
  return status === 'applied' ? 'ok' : status === 'pending' ? 'info' : 'muted';
}

/** The Stripe event types the server acts on (the filter offers these, plus any in the URL). */
export const BILLING_EVENT_TYPES = [
  'checkout.session.completed',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.paid',
  'invoice.payment_failed',
  'charge.refunded',
];

/** Filters of the billing events page, as they live in its URL. */
export interface EventFilters {
  type: string;
  status: '' | BillingEventStatus;
}

const EVENT_STATUSES: EventFilters['status'][] = ['', 'applied', 'ignored', 'pending'];

/** Reads the billing events filters from the URL; a bad status or type is dropped. */
export function parseEventFilters(params: URLSearchParams): EventFilters {
  const status = params.get('status') ?? '';
  const type = (params.get('type') ?? '').trim();
  return {
    type: /^[a-z0-9_.]{1,100}$/.test(type) ? type : '',
    status: EVENT_STATUSES.includes(status as EventFilters['status']) ? (status as EventFilters['status']) : '',
  };
}

/** Writes the billing events filters to URL parameters, leaving empty ones out. */
export function eventFiltersToParams(f: EventFilters): URLSearchParams {
  const p = new URLSearchParams();
  if (f.type) p.set('type', f.type);
  if (f.status) p.set('status', f.status);
  return p;
}
