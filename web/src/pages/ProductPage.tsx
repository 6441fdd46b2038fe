// Staff: one product, with an editor that sends only the changed fields (PATCH).
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError } from '../api/client';
import { products as productsApi } from '../api/endpoints';
import { ProductForm } from '../components/ProductForm';
import { ErrorNotice, Notice, PageHeader, Spinner } from '../components/ui';
import { formatDateTime } from '../lib/format';
import { useAsync } from '../lib/hooks';

/** The product page (route `/products/:productId`, staff only). */
export function ProductPage() {
  const { productId = '' } = useParams();
  const product = useAsync(() => productsApi.get(productId), [productId]);
  const [editing, setEditing] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  if (product.error instanceof ApiError && (product.error.status === 404)) {
    return <div className="card"><h1>Product not found</h1><p className="muted">No product has this id.</p><Link to="/products">Back to products</Link></div>;
  }
  const p = product.data;
  if (!p) return product.error ? <ErrorNotice error={product.error} /> : <Spinner />;

  return (
    <div>
      <p className="crumbs small"><Link to="/products">Products</Link> › {p.name}</p>
      <PageHeader title={p.name} subtitle={<code>{p.slug}</code>}
        actions={<button type="button" className="btn" onClick={() => { setEditing((e) => !e); setNotice(null); }}>{editing ? 'Close editor' : 'Edit'}</button>} />
      {notice && <Notice>{notice}</Notice>}

      {editing && (
        <section className="card">
          <h2>Edit product</h2>
          <ProductForm key={p.updated_at} original={p} submitLabel="Save changes" onCancel={() => setEditing(false)} onSubmit={async (body) => {
            product.setData(await productsApi.update(p.id, body));
            setEditing(false);
            setNotice('Saved. Existing licenses keep what they had; new subscriptions get the new values.');
          }} />
        </section>
      )}

      <section className="card">
        <dl className="facts" data-testid="product-facts">
          <dt>Id</dt><dd><code className="small">{p.id}</code></dd>
          <dt>Seats per unit</dt><dd>{p.seats_per_unit}</dd>
          <dt>Heartbeat TTL</dt><dd>{p.heartbeat_ttl_seconds} s</dd>
          <dt>Entitlements</dt><dd>{p.entitlements.length ? p.entitlements.map((e) => <span key={e} className="chip">{e}</span>) : <span className="muted">none</span>}</dd>
          <dt>Self-service trial</dt><dd>{p.trial_days > 0 ? `${p.trial_days} days, ${p.trial_seats} seat${p.trial_seats === 1 ? '' : 's'}` : <span className="muted">off</span>}</dd>
          <dt>Grace after period end</dt><dd>{p.grace_days} days</dd>
          <dt>Stripe prices</dt><dd>{p.stripe_price_ids.length ? p.stripe_price_ids.map((id) => <code key={id} className="chip">{id}</code>) : <span className="muted">none</span>}</dd>
          <dt>Metered</dt><dd>{p.metered ? 'yes: seat-hours are reported to Stripe every hour' : 'no'}</dd>
          <dt>Created</dt><dd>{formatDateTime(p.created_at)}</dd>
          <dt>Updated</dt><dd>{formatDateTime(p.updated_at)}</dd>
        </dl>
      </section>
    </div>
  );
}
