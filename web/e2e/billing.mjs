// End-to-end tests of billing in the dashboard, run by run.mjs with the staff person's page:
// staff create a product in the Products page, the test sends signed Stripe webhook events
// (as Stripe would) and the dashboard shows the tenant, license and subscription they made,
// then the billing events page. Writes docs/screenshots/products.png and billing-events.png.
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { check, eventually, screenshot, WEB_DIR } from './harness.mjs';

/** The webhook secret the e2e server is started with (`CODITECT_STRIPE_WEBHOOK_SECRETS`). */
export const STRIPE_WEBHOOK_SECRET = 'whsec_e2e_test_secret'; // the server wants at least 16 characters
const DOCS_SHOTS = path.resolve(WEB_DIR, '../docs/screenshots');
const PRICE = 'price_e2e_pro';

/** Stripe's `Stripe-Signature` header for `body`: `t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>`. */
export function stripeSignature(secret, body, t = Math.floor(Date.now() / 1000)) {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/** Posts one Stripe event to the server's webhook, signed with `secret`; the raw body is what is signed. */
async function sendStripe(base, event, secret = STRIPE_WEBHOOK_SECRET) {
  const body = JSON.stringify(event);
  const r = await fetch(`${base}/api/v1/billing/stripe/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignature(secret, body) },
    body,
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: r.status, body: json };
}

const stripeEvent = (id, type, created, object) => ({ id, object: 'event', api_version: '2025-03-31.basil', type, created, livemode: false, data: { object } });

/** A subscription object as Stripe sends it, with one item of `quantity` × the e2e price. */
function subscription(status, periodEnd, extra = {}) {
  return {
    id: 'sub_e2e', object: 'subscription', customer: 'cus_e2e', status, cancel_at_period_end: false, cancel_at: null,
    current_period_end: periodEnd,
    items: { object: 'list', data: [{ id: 'si_1', object: 'subscription_item', quantity: 3, price: { id: PRICE, object: 'price' }, current_period_end: periodEnd }] },
    ...extra,
  };
}

async function docsScreenshot(page, name) {
  mkdirSync(DOCS_SHOTS, { recursive: true });
  await page.waitForTimeout(300); // let badges and fonts settle
  await page.screenshot({ path: path.join(DOCS_SHOTS, `${name}.png`), fullPage: true });
  await screenshot(page, name);
}

/**
 * Adds the billing tests to the run. `ctx`: the runner `t`, the signed-in staff `page`,
 * server and dashboard bases `S` and `D`, the JSON `call(method, path, body, { bearer })`,
 * the superadmin `bearer`, and the shared `state` / `need` of run.mjs.
 */
export async function billingTests({ t, page, S, D, call, bearer, state, need }) {
  const ok = (r, what) => check(r.status === 200 && r.body?.received === true, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
  const now = Math.floor(Date.now() / 1000);
  const base = now - 60; // event `created` times: checkout, then the subscription, then its end
  const periodEnd = now + 30 * 86_400;

  await t.test('billing: staff create a product in the Products page; a taken price id is refused', async () => {
    await page.goto(`${D}/staff`);
    await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Products' }).click();
    await page.getByRole('heading', { name: 'Products' }).waitFor();
    await page.getByText(/No products yet/).waitFor();
    await page.getByRole('button', { name: 'New product' }).click();
    let form = page.getByRole('form', { name: 'Create product' });
    await form.getByLabel('Name', { exact: true }).fill('E2E Pro');
    check(await form.getByLabel('Slug', { exact: true }).inputValue() === 'e2e-pro', 'the slug is pre-filled from the name');
    await form.getByLabel('Seats per unit').fill('2');
    await form.getByLabel('Entitlements (comma separated)').fill('export, render');
    await form.getByLabel(/Stripe price ids/).fill(PRICE);
    await form.getByRole('button', { name: 'Create product' }).click();
    await page.getByText('Created product E2E Pro (e2e-pro).').waitFor();
    const row = page.getByTestId('products-table').getByRole('row').filter({ hasText: 'e2e-pro' });
    await row.getByText(PRICE).waitFor();
    const list = await call('GET', '/api/v1/products?limit=200', undefined, { bearer });
    const product = list.body?.items?.find((p) => p.slug === 'e2e-pro');
    check(product && product.seats_per_unit === 2 && JSON.stringify(product.stripe_price_ids) === `["${PRICE}"]`, `product as stored: ${JSON.stringify(product)}`);
    check(JSON.stringify(product.entitlements) === '["export","render"]' && product.grace_days === 7 && product.metered === false, `product defaults: ${JSON.stringify(product)}`);
    state.product = product.id;

    await page.getByRole('button', { name: 'New product' }).click();
    form = page.getByRole('form', { name: 'Create product' });
    await form.getByLabel('Name', { exact: true }).fill('E2E Copy');
    await form.getByLabel(/Stripe price ids/).fill(PRICE);
    await form.getByRole('button', { name: 'Create product' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    check((await alert.textContent()).includes('(conflict'), `a taken price id must show the server's 409 conflict: ${await alert.textContent()}`);
    await form.getByRole('button', { name: 'Cancel' }).click();
    await docsScreenshot(page, 'products');

    await row.getByRole('link', { name: 'E2E Pro' }).click();
    await page.getByRole('button', { name: 'Edit' }).click();
    form = page.getByRole('form', { name: 'Save changes' });
    await form.getByLabel(/^Trial days/).fill('14');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(/^Saved\./).waitFor();
    const got = await call('GET', `/api/v1/products/${product.id}`, undefined, { bearer });
    check(got.body.trial_days === 14 && got.body.seats_per_unit === 2 && got.body.slug === 'e2e-pro', `product after PATCH: ${JSON.stringify(got.body)}`);
  });

  await t.test('billing: signed Stripe events create the tenant and a 6-seat license the dashboard shows', async () => {
    need('product');
    const forged = await sendStripe(S, stripeEvent('evt_e2e_forged', 'checkout.session.completed', base, {}), 'whsec_not_the_secret');
    check(forged.status === 400 && forged.body?.error?.code === 'invalid_signature', `a wrong signature: ${forged.status} ${JSON.stringify(forged.body)}`);
    const checkout = stripeEvent('evt_e2e_checkout', 'checkout.session.completed', base, {
      id: 'cs_test_1', object: 'checkout.session', customer: 'cus_e2e', subscription: 'sub_e2e',
      customer_details: { email: 'buyer@example.com', name: 'Buyer Corp' }, metadata: {},
    });
    const first = await sendStripe(S, checkout);
    ok(first, 'checkout.session.completed');
    check(first.body.duplicate === false, `first delivery: ${JSON.stringify(first.body)}`);
    const again = await sendStripe(S, checkout);
    check(again.status === 200 && again.body.duplicate === true, `a redelivery must answer duplicate: ${JSON.stringify(again.body)}`);
    ok(await sendStripe(S, stripeEvent('evt_e2e_sub_created', 'customer.subscription.created', base + 1, subscription('active', periodEnd))), 'customer.subscription.created');

    const tenants = await call('GET', '/api/v1/tenants?limit=200', undefined, { bearer });
    const buyer = tenants.body.items.find((x) => x.name === 'Buyer Corp');
    check(buyer, `no tenant "Buyer Corp" among ${tenants.body.items.map((x) => x.name)}`);
    check(buyer.stripe_customer_id === 'cus_e2e' && buyer.billing_email === 'buyer@example.com', `tenant billing fields: ${JSON.stringify(buyer)}`);
    state.buyer = buyer.id;

    await page.goto(`${D}/staff`);
    await page.getByTestId('tenants-table').getByRole('link', { name: 'Buyer Corp' }).click();
    await page.waitForURL(/\/t\/[^/]+\/licenses$/);
    const row = page.getByTestId('licenses-table').getByRole('row').nth(1);
    await row.locator('[data-billing="active"]').waitFor();
    check((await row.textContent()).includes('0/6'), `the license must have 6 seats: ${await row.textContent()}`);
    await row.getByRole('link').first().click();
    await page.waitForURL(/\/licenses\/[0-9a-f-]{36}$/);
    state.buyerLicense = page.url().split('/licenses/')[1];
    const card = page.getByTestId('license-billing');
    await card.locator('[data-testid="subscription-status"][data-status="active"]').waitFor();
    await eventually(async () => (await card.getByTestId('license-product').textContent()) === 'E2E Pro (e2e-pro)', 6000, 'the product name on the license');
    check(await card.getByTestId('stripe-customer').getAttribute('href') === 'https://dashboard.stripe.com/customers/cus_e2e', 'the Stripe customer link');
    check(await page.getByTestId('seats-gauge').getAttribute('aria-label') === '0 of 6 seats in use', 'the gauge shows 6 seats');
    check(await card.getByTestId('cancels-at-period-end').count() === 0, 'a subscription that renews shows no cancellation');
    const lic = await call('GET', `/api/v1/tenants/${buyer.id}/licenses/${state.buyerLicense}`, undefined, { bearer });
    check(lic.body.product_id === state.product && lic.body.subscription?.id === 'sub_e2e' && lic.body.seats_total === 6, `license as stored: ${JSON.stringify(lic.body)}`);
  });

  await t.test('billing: customer.subscription.deleted shows the license canceled, live and in the list', async () => {
    const buyer = need('buyer');
    const ended = Math.floor(Date.now() / 1000);
    ok(await sendStripe(S, stripeEvent('evt_e2e_sub_deleted', 'customer.subscription.deleted', base + 5, subscription('canceled', periodEnd, { ended_at: ended }))), 'customer.subscription.deleted');
    const card = page.getByTestId('license-billing');
    await eventually(async () => (await card.getByTestId('subscription-status').getAttribute('data-status')) === 'canceled', 8000, 'the status to turn canceled without reload');
    const heading = await page.getByRole('heading', { level: 1 }).textContent();
    check(heading.includes('canceled') && heading.includes('expired'), `the heading shows the license expired and canceled: ${heading}`);
    await page.goto(`${D}/t/${buyer}/licenses`);
    await page.getByTestId('licenses-table').getByRole('row').nth(1).locator('[data-billing="canceled"]').waitFor();
    await page.goto(`${D}/t/${buyer}/licenses?subscription=sub_e2e`);
    await page.getByTestId('subscription-filter').waitFor();
    await eventually(async () => (await page.getByTestId('licenses-table').getByRole('row').count()) === 2, 6000, 'the subscription filter to keep its one license');
    await page.getByTestId('licenses-table').locator('[data-billing="canceled"]').waitFor();
  });

  await t.test('billing: the billing events page lists the three events applied, and filters on the server', async () => {
    const license = need('buyerLicense');
    await page.goto(`${D}/billing/events`);
    const table = page.getByTestId('billing-events-table');
    await table.locator('tr[data-event-id="evt_e2e_checkout"]').waitFor();
    const ids = await table.locator('tr[data-event-id]').evaluateAll((rows) => rows.map((r) => `${r.dataset.eventId}:${r.dataset.status}`));
    check(JSON.stringify(ids) === JSON.stringify(['evt_e2e_sub_deleted:applied', 'evt_e2e_sub_created:applied', 'evt_e2e_checkout:applied']), `events newest first, all applied: ${ids}`);
    const created = table.locator('tr[data-event-id="evt_e2e_sub_created"]');
    check((await created.getByRole('link').first().getAttribute('href')).endsWith(`/licenses/${license}`), 'the event links to the license it made');
    await docsScreenshot(page, 'billing-events');
    await page.getByLabel('Event type').selectOption('customer.subscription.deleted');
    await page.waitForURL(/type=customer\.subscription\.deleted/);
    await eventually(async () => (await table.locator('tr[data-event-id]').count()) === 1, 6000, 'one deleted event');
    await page.getByLabel('Event status').selectOption('ignored');
    await page.getByText('No event matches these filters.').waitFor();
  });
}
