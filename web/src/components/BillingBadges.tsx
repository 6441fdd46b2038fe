// Badges for the billing side of licenses and for stored Stripe events.
import type { BillingEventStatus, License, SubscriptionStatus } from '../api/types';
import { billingBadge, eventStatusTone, statusLabel, subscriptionTone } from '../lib/billing';
import { Badge } from './ui';

/** The licenses list's billing badge (trial, past due, cancelling, canceled…); nothing for a hand-made license. */
export function BillingBadge({ license }: { license: Pick<License, 'subscription' | 'metadata'> }) {
  const b = billingBadge(license);
  if (!b) return null;
  return <span title={b.title} data-billing={b.kind}><Badge tone={b.tone}>{b.label}</Badge></span>;
}

/** A subscription's Stripe status as a badge, on the license detail page. */
export function SubscriptionStatusBadge({ status }: { status: SubscriptionStatus }) {
  return <span data-testid="subscription-status" data-status={status}><Badge tone={subscriptionTone(status)}>{statusLabel(status)}</Badge></span>;
}

/** What the server did with a stored Stripe event, as a badge. */
export function EventStatusBadge({ status }: { status: BillingEventStatus }) {
  return <Badge tone={eventStatusTone(status)}>{status}</Badge>;
}
