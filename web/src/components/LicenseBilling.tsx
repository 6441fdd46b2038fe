// The billing card of the license detail page: the product the license came from, the
// Stripe subscription that pays for it (status, period end, cancellation) and the customer.
import { Link } from 'react-router';
import { products as productsApi } from '../api/endpoints';
import type { License, Product } from '../api/types';
import { stripeCustomerUrl } from '../lib/billing';
import { formatDateTime, relativeTime } from '../lib/format';
import { useAsync } from '../lib/hooks';
import { SubscriptionStatusBadge } from './BillingBadges';
import { Badge } from './ui';

/**
 * Billing facts of one license; nothing for a license made by hand (no product, no
 * subscription, no trial). Staff get links to the product and to the Stripe customer.
 */
export function LicenseBilling({ license, isStaff }: { license: License; isStaff: boolean }) {
  const productId = license.product_id ?? null;
  const sub = license.subscription ?? null;
  const trial = license.metadata?.trial === true;
  const product = useAsync<Product | null>(() => (productId ? productsApi.get(productId) : Promise.resolve(null)), [productId]);
  if (!productId && !sub && !trial) return null;

  return (
    <section className="card" data-testid="license-billing">
      <h2>Billing</h2>
      <dl className="facts">
        <dt>Product</dt>
        <dd data-testid="license-product">{productId ? <ProductName id={productId} product={product.data ?? null} link={isStaff} /> : <span className="muted">none (made by hand)</span>}</dd>
        {sub ? (
          <>
            <dt>Subscription</dt>
            <dd><SubscriptionStatusBadge status={sub.status} />{' '}
              <Link to={`/t/${license.tenant_id}/licenses?subscription=${encodeURIComponent(sub.id)}`} title="The licenses this subscription pays for"><code className="small">{sub.id}</code></Link></dd>
            <dt>Current period ends</dt>
            <dd data-testid="period-end">{sub.current_period_end ? <>{formatDateTime(sub.current_period_end)} <span className="muted small">({relativeTime(sub.current_period_end)})</span></> : '—'}</dd>
            {sub.cancel_at_period_end && sub.status !== 'canceled' && (
              <><dt>Renewal</dt><dd data-testid="cancels-at-period-end"><Badge tone="warn">cancels at period end</Badge></dd></>
            )}
            <dt>Stripe customer</dt>
            <dd>{isStaff
              ? <a href={stripeCustomerUrl(sub.customer_id)} target="_blank" rel="noopener noreferrer" data-testid="stripe-customer">{sub.customer_id} ↗</a>
              : <code className="small">{sub.customer_id}</code>}</dd>
          </>
        ) : (
          <><dt>Subscription</dt><dd>{trial ? <Badge tone="info">self-service trial</Badge> : <span className="muted">none</span>}</dd></>
        )}
      </dl>
    </section>
  );
}

function ProductName({ id, product, link }: { id: string; product: Product | null; link: boolean }) {
  const text = product ? <>{product.name} <span className="muted small">({product.slug})</span></> : <code className="small">{id}</code>;
  return link ? <Link to={`/products/${id}`}>{text}</Link> : text;
}
