// End-to-end tests of the Usage and Webhooks pages, run by run.mjs with the staff person's
// page: the usage of a license that held a seat, its CSV; a webhook endpoint registered in
// the page to a receiver of the test's own, its secret shown once, a refused private
// address, a seat denial delivered signed, the delivery log and a redelivery. Writes
// docs/screenshots/usage.png and webhooks.png.
import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { check, eventually, screenshot, WEB_DIR } from './harness.mjs';

const DOCS_SHOTS = path.resolve(WEB_DIR, '../docs/screenshots');

async function docsScreenshot(page, name) {
  mkdirSync(DOCS_SHOTS, { recursive: true });
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(DOCS_SHOTS, `${name}.png`), fullPage: true });
  await screenshot(page, name);
}

/** A webhook receiver: records each request and answers 200. */
function startReceiver() {
  const got = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ got, port: server.address().port, close: () => new Promise((r) => server.close(r)) })));
}

/** Adds the usage and webhook tests to the run (same `ctx` as billingTests). */
export async function outgoingTests({ t, page, S, D, call, bearer, state, need }) {
  await t.test('usage page: exact seat-hours per license, chart, CSV download (screenshot)', async () => {
    const acme = need('acme');
    const lic = await call('POST', `/api/v1/tenants/${acme}/licenses`, { name: 'Usage demo', seats_total: 3 }, { bearer });
    check(lic.status === 201, `license: ${lic.status}`);
    for (const hw of ['u-1', 'u-2']) {
      const r = await call('POST', '/api/v1/licenses/acquire', { license_key: lic.body.license_key, hardware_id: hw });
      check(r.status === 201, `acquire ${hw}: ${r.status}`);
    }
    await page.waitForTimeout(1500);
    await page.goto(`${D}/t/${acme}/usage`);
    const row = page.getByTestId('usage-licenses').locator(`tr[data-key="${lic.body.id}"]`);
    await row.waitFor();
    check((await row.textContent()).includes('Usage demo'), 'the row names the license');
    const shown = await page.getByTestId('stat-seat-hours').textContent();
    const to = new Date().toISOString();
    const from = new Date(Date.now() - 23 * 3_600_000).toISOString();
    const api = await call('GET', `/api/v1/tenants/${acme}/usage?from=${from}&to=${to}&granularity=hour`, undefined, { bearer });
    const sum = api.body.items.reduce((s, r) => s + r.seat_hours, 0);
    check(Math.abs(Number(shown.replace(/,/g, '')) - sum) < 0.02, `page total ${shown}, API ${sum}`);
    check((await page.getByTestId('chart-seat-hours').count()) === 1, 'a chart is drawn');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    const csv = readFileSync(await download.path(), 'utf8');
    check(csv.split('\r\n')[0].replace(/^\uFEFF/, '').startsWith('license_id,product_id,start,end,seat_hours,peak_seats,sessions,denials') || csv.startsWith('license_id'), `CSV header: ${csv.slice(0, 120)}`);
    check(csv.includes(lic.body.id), 'the CSV has the license');
    await docsScreenshot(page, 'usage');
  });

  await t.test('webhooks page: register, secret once, a private address refused, a denial delivered signed, redeliver (screenshot)', async () => {
    const acme = need('acme');
    const receiver = await startReceiver();
    try {
      await page.goto(`${D}/t/${acme}/webhooks`);
      await page.getByText(/No endpoint yet/).waitFor();
      await page.getByRole('button', { name: 'New endpoint' }).click();
      const form = page.getByRole('form', { name: 'Register endpoint' });
      await form.getByLabel(/Endpoint URL/).fill('https://169.254.169.254/latest/meta-data');
      await form.getByRole('button', { name: 'Register endpoint' }).click();
      await form.getByText(/link-local/).waitFor();
      await form.getByLabel(/Endpoint URL/).fill(`http://127.0.0.1:${receiver.port}/coditect`);
      await form.getByLabel('Description').fill('Seat alerts to the ops channel');
      await form.getByLabel('license.updated').check();
      await form.getByRole('button', { name: 'Register endpoint' }).click();
      const secretBox = page.getByTestId('webhook-secret');
      await secretBox.waitFor();
      const secret = (await secretBox.locator('code.secret').textContent()).trim();
      check(secret.startsWith('whsec_'), `secret: ${secret}`);
      const listed = await call('GET', `/api/v1/tenants/${acme}/webhooks`, undefined, { bearer });
      check(listed.body.items.length === 1 && !('secret' in listed.body.items[0]), 'listed once, without the secret');

      const lic = await call('POST', `/api/v1/tenants/${acme}/licenses`, { name: 'Webhook demo', seats_total: 1 }, { bearer });
      const key = lic.body.license_key;
      check((await call('POST', '/api/v1/licenses/acquire', { license_key: key, hardware_id: 'w-1' })).status === 201, 'first seat');
      check((await call('POST', '/api/v1/licenses/acquire', { license_key: key, hardware_id: 'w-2' })).status === 409, 'second refused');
      await eventually(async () => receiver.got.some((r) => JSON.parse(r.body).type === 'seat.denied'), 15_000, 'seat.denied delivered');
      const denied = receiver.got.find((r) => JSON.parse(r.body).type === 'seat.denied');
      const [tPart, vPart] = denied.headers['coditect-signature'].split(',');
      const ts = tPart.slice(2);
      const expected = createHmac('sha256', secret).update(`${ts}.${denied.body}`).digest('hex');
      check(vPart === `v1=${expected}`, 'the signature verifies with the secret shown once');
      const body = JSON.parse(denied.body);
      check(body.data.seats_total === 1 && body.data.seats_used === 1 && body.tenant_id === acme, `denial body: ${denied.body}`);

      // The new endpoint's delivery log opened with it.
      const log = page.getByTestId('deliveries-table');
      await log.waitFor();
      const deliveredRow = log.locator('tr[data-status="delivered"]').filter({ hasText: 'seat.denied' });
      await eventually(async () => {
        if ((await deliveredRow.count()) > 0) return true;
        await page.getByRole('button', { name: 'Refresh' }).last().click();
        await page.waitForTimeout(400);
        return false;
      }, 10_000, 'the delivery log shows it delivered');
      const before = receiver.got.length;
      await deliveredRow.first().getByRole('button', { name: 'Redeliver' }).click();
      await eventually(async () => receiver.got.length > before, 10_000, 'redelivered');
      const again = JSON.parse(receiver.got.at(-1).body);
      check(again.id === body.id, 'the same event, sent again');
      await page.getByRole('button', { name: 'Refresh' }).last().click();
      await page.waitForTimeout(600);
      await docsScreenshot(page, 'webhooks');
    } finally {
      await receiver.close();
    }
  });
}
