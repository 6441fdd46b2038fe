import { describe, expect, it } from 'vitest';
import type { Subscription } from '../api/types';
import { billingBadge, eventFiltersToParams, eventStatusTone, parseEventFilters, statusLabel, stripeCustomerUrl, subscriptionTone } from './billing';

const sub = (p: Partial<Subscription>): Subscription => ({
  provider: 'stripe', id: 'sub_1', customer_id: 'cus_1', status: 'active', current_period_end: '2026-07-01T00:00:00Z', cancel_at_period_end: false, ...p,
});
const kind = (subscription: Subscription | null | undefined, metadata: Record<string, unknown> = {}) => billingBadge({ subscription, metadata })?.kind ?? null;

describe('billingBadge', () => {
  it('shows nothing for a license made by hand, with or without the new fields', () => {
    expect(kind(null)).toBeNull();
    expect(kind(undefined)).toBeNull();
    expect(kind(null, { trial: 'yes' })).toBeNull(); // only the boolean true marks a trial
  });

  it('marks a self-service trial (metadata.trial, no subscription) and a trialing subscription', () => {
    expect(billingBadge({ subscription: null, metadata: { trial: true } })).toMatchObject({ kind: 'trialing', label: 'trial', tone: 'info' });
    expect(billingBadge({ subscription: sub({ status: 'trialing' }), metadata: {} })).toMatchObject({ kind: 'trialing', label: 'trial' });
  });

  it('marks past_due and unpaid as a payment problem', () => {
    expect(billingBadge({ subscription: sub({ status: 'past_due' }), metadata: {} })).toMatchObject({ kind: 'past_due', label: 'past due', tone: 'bad' });
    expect(billingBadge({ subscription: sub({ status: 'unpaid' }), metadata: {} })).toMatchObject({ kind: 'past_due', label: 'unpaid', tone: 'bad' });
  });

  it('marks a cancellation at period end, over a trial but under a payment problem', () => {
    expect(billingBadge({ subscription: sub({ cancel_at_period_end: true }), metadata: {} })).toMatchObject({ kind: 'cancelling', tone: 'warn' });
    const trialCancelling = billingBadge({ subscription: sub({ status: 'trialing', cancel_at_period_end: true }), metadata: {} });
    expect(trialCancelling?.kind).toBe('cancelling');
    expect(trialCancelling?.title).toMatch(/^Trial; cancels at the end of the period \(2026-07-01\)/);
    expect(kind(sub({ status: 'past_due', cancel_at_period_end: true }))).toBe('past_due');
  });

  it('marks canceled whatever else is set, even on a trial license', () => {
    expect(billingBadge({ subscription: sub({ status: 'canceled', cancel_at_period_end: true }), metadata: { trial: true } })).toMatchObject({ kind: 'canceled', label: 'canceled' });
  });

  it('calls a healthy subscription subscribed and names the other states', () => {
    expect(billingBadge({ subscription: sub({}), metadata: {} })).toMatchObject({ kind: 'active', label: 'subscribed', tone: 'ok' });
    expect(kind(sub({ status: 'incomplete' }))).toBe('incomplete');
    expect(kind(sub({ status: 'incomplete_expired' }))).toBe('incomplete');
    expect(kind(sub({ status: 'paused' }))).toBe('paused');
  });
});

describe('status display', () => {
  it('colours subscription and event statuses', () => {
    expect(['active', 'trialing', 'past_due', 'unpaid', 'canceled', 'incomplete'].map((s) => subscriptionTone(s as Subscription['status'])))
      .toEqual(['ok', 'info', 'bad', 'bad', 'muted', 'warn']);
    expect(['applied', 'pending', 'ignored'].map((s) => eventStatusTone(s as 'applied'))).toEqual(['ok', 'info', 'muted']);
    expect(statusLabel('incomplete_expired')).toBe('incomplete expired');
  });

  it('links to the customer in the Stripe dashboard', () => {
    expect(stripeCustomerUrl('cus_e2e')).toBe('https://dashboard.stripe.com/customers/cus_e2e');
    expect(stripeCustomerUrl('cus/../x')).toBe('https://dashboard.stripe.com/customers/cus%2F..%2Fx');
  });
});

describe('billing events filters in the URL', () => {
  it('round-trips type and status and leaves empty ones out', () => {
    const f = { type: 'customer.subscription.deleted', status: 'ignored' as const };
    expect(parseEventFilters(eventFiltersToParams(f))).toEqual(f);
    expect(eventFiltersToParams({ type: '', status: '' }).toString()).toBe('');
  });

  it('drops a bad status or a type that is not an event type', () => {
    expect(parseEventFilters(new URLSearchParams('status=done&type=a%20b'))).toEqual({ type: '', status: '' });
    expect(parseEventFilters(new URLSearchParams('type=invoice.paid&status=pending'))).toEqual({ type: 'invoice.paid', status: 'pending' });
  });
});
