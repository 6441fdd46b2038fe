// Staff: the products sold through Stripe (license templates), one page at a time, and
// creating a new one. Each product opens to its own page for editing.
import { useState } from 'react';
import { Link } from 'react-router';
import { products as productsApi } from '../api/endpoints';
import type { Product } from '../api/types';
import { ProductForm } from '../components/ProductForm';
import { CursorPager, ErrorNotice, Notice, PageHeader, Spinner } from '../components/ui';
import { formatDate } from '../lib/format';
import { useCursorPages } from '../lib/hooks';

/** How many products one page of the list shows. */
export const PRODUCTS_PAGE_SIZE = 50;

/** The Products page (route `/products`, staff only). */
export function ProductsPage() {
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const pages = useCursorPages((cursor) => productsApi.page(cursor, PRODUCTS_PAGE_SIZE), []);

  return (
    <div>
      <PageHeader title="Products" subtitle="What is sold through Stripe: the seats one unit buys and what its license gets."
        actions={<>
          <button type="button" className="btn btn-ghost" onClick={pages.reload}>Refresh</button>
          <button type="button" className="btn btn-primary" onClick={() => { setCreating(true); setNotice(null); }}>New product</button>
        </>} />

      {creating && (
        <section className="card">
          <h2>New product</h2>
          <ProductForm submitLabel="Create product" onCancel={() => setCreating(false)} onSubmit={async (body) => {
            const p = await productsApi.create(body);
            setCreating(false);
            setNotice(`Created product ${p.name} (${p.slug}).`);
            pages.reload();
          }} />
        </section>
      )}
      {notice && <Notice>{notice}</Notice>}

      <ErrorNotice error={pages.error} />
      {pages.loading && !pages.data ? <Spinner /> : (
        <div className="table-wrap card">
          <ProductsTable items={pages.data?.items ?? []} />
          <CursorPager pageNo={pages.pageNo} hasNewer={pages.hasNewer} hasOlder={pages.hasOlder} onNewer={pages.newer} onOlder={pages.older}
            newerLabel="‹ Previous" olderLabel="Next ›" />
        </div>
      )}
    </div>
  );
}

function ProductsTable({ items }: { items: Product[] }) {
  return (
    <table className="table table-cards" data-testid="products-table">
      <thead>
        <tr><th>Name</th><th>Slug</th><th>Seats / unit</th><th className="hide-sm">Trial</th><th className="hide-sm">Grace</th><th>Stripe prices</th><th className="hide-sm">Metered</th><th className="hide-sm">Updated</th></tr>
      </thead>
      <tbody>
        {items.map((p) => (
          <tr key={p.id} data-product-id={p.id}>
            <td className="card-title"><Link to={`/products/${p.id}`}>{p.name}</Link></td>
            <td data-label="Slug"><code>{p.slug}</code></td>
            <td data-label="Seats / unit">{p.seats_per_unit}</td>
            <td className="hide-sm" data-label="Trial">{p.trial_days > 0 ? `${p.trial_days} d · ${p.trial_seats} seat${p.trial_seats === 1 ? '' : 's'}` : <span className="muted">none</span>}</td>
            <td className="hide-sm" data-label="Grace">{p.grace_days} d</td>
            <td data-label="Stripe prices">{p.stripe_price_ids.length ? p.stripe_price_ids.map((id) => <code key={id} className="chip">{id}</code>) : <span className="muted">none</span>}</td>
            <td className="hide-sm" data-label="Metered">{p.metered ? 'yes' : 'no'}</td>
            <td className="hide-sm" data-label="Updated">{formatDate(p.updated_at)}</td>
          </tr>
        ))}
        {items.length === 0 && <tr><td colSpan={8} className="empty">No products yet: create the first one to sell licenses through Stripe.</td></tr>}
      </tbody>
    </table>
  );
}
