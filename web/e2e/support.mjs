// End-to-end tests of the support tools of issue #15 (points 3 and 5), run by run.mjs in the
// staff's signed-in page: one search box that finds a license by its full key or by a hardware
// id one of its sessions had; key reissue (the old key takes no new seat, the running seat goes
// on); archiving (out of the list, suspended, brought back). Screenshots light and dark,
// desktop and phone.
import { shootBoth } from './dayone.mjs';
import { check, eventually } from './harness.mjs';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1360, height: 900 };

/** Screenshots `page` in both themes at desktop size, then at phone size. */
async function shootEverywhere(page, name) {
  await shootBoth(page, `${name}-desktop`);
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(200);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await shootBoth(page, `${name}-phone`);
  await page.setViewportSize(DESKTOP);
  return overflow;
}

export async function supportTests({ t, page, D, call, bearer, need }) {
  const ctx = {};
  const acme = () => need('acme');

  await t.test('search: a pasted full key, or a hardware id one of its sessions had, finds the license', async () => {
    const made = await call('POST', `/api/v1/tenants/${acme()}/licenses`, { name: 'Support Lookup', seats_total: 2, metadata: { crm: 'CRM-7781' } }, { bearer });
    check(made.status === 201, `create: ${made.status}`);
    ctx.license = made.body;
    const seat = await call('POST', '/api/v1/licenses/acquire', { license_key: made.body.license_key, hardware_id: 'WS-e2e-5521', user_email: 'lena@acme.test' });
    check(seat.status === 201, `acquire: ${seat.status}`);
    const rel = await call('POST', '/api/v1/licenses/release', { license_key: made.body.license_key, session_id: seat.body.session_id });
    check(rel.status === 200, `release: ${rel.status}`);

    await page.goto(`${D}/t/${acme()}/licenses`);
    const rows = page.getByTestId('licenses-table').locator('tbody tr');
    const box = page.getByLabel('Search licenses');
    const findsIt = async (text, note) => {
      await box.fill(text);
      // The box waits 300 ms before it asks: wait for the answer to this text, by its note.
      await eventually(async () => (await rows.count()) === 1 && (await rows.first().textContent()).includes('Support Lookup')
        && ((await rows.first().getByTestId('search-match').textContent()) ?? '').includes(note), 8000, `search "${text}" finds the license, matched by ${note}`);
    };
    await findsIt(made.body.license_key, 'its full license key');
    const overflow = await shootEverywhere(page, 'support-search-key');
    check(overflow <= 1, `the search results are ${overflow}px wider than the phone`);
    await findsIt(made.body.license_key.toLowerCase(), 'its full license key');
    await findsIt('WS-e2e-5521', "a session's hardware id");
    await shootEverywhere(page, 'support-search-hardware');
    await findsIt('lena@acme.test', "a session's user e-mail");
    await findsIt('crm-7781', 'metadata crm');
    await box.fill(made.body.license_key.slice(0, -2));
    await eventually(async () => (await page.getByText('No license matches these filters.').count()) === 1, 8000, 'part of a key finds nothing');
    await box.fill('');
  });

  await t.test('key reissue: the old key takes no new seat, the running machine keeps its seat', async () => {
    check(ctx.license, 'needs the license of the search test');
    const oldKey = ctx.license.license_key;
    const running = await call('POST', '/api/v1/licenses/acquire', { license_key: oldKey, hardware_id: 'WS-running' });
    check(running.status === 201, `acquire: ${running.status}`);
    await page.goto(`${D}/t/${acme()}/licenses/${ctx.license.id}`);
    await page.getByRole('button', { name: 'Reissue key' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Reissue the license key?' });
    await dialog.waitFor();
    check((await dialog.textContent()).includes('keep their seats'), 'the dialog must say running machines keep their seats');
    await shootBoth(page, 'support-reissue-confirm-desktop');
    await dialog.getByRole('button', { name: 'Reissue key' }).click();
    await page.getByText(/New key issued, ending in/).waitFor();
    const shown = (await page.getByTestId('license-key').textContent()).trim();
    check(shown !== oldKey && !shown.includes('•') && shown.length === oldKey.length, `the page must show the new key: "${shown}"`);
    await shootEverywhere(page, 'support-reissued');

    const refused = await call('POST', '/api/v1/licenses/acquire', { license_key: oldKey, hardware_id: 'WS-after' });
    check(refused.status === 404 && refused.body.error.code === 'license_not_found', `the old key must take no new seat: ${refused.status}`);
    const beat = await call('POST', '/api/v1/licenses/heartbeat', { license_key: oldKey, session_id: running.body.session_id });
    check(beat.status === 200, `the running machine's heartbeat with the old key: ${beat.status} ${JSON.stringify(beat.body)}`);
    const fresh = await call('POST', '/api/v1/licenses/acquire', { license_key: shown, hardware_id: 'WS-after' });
    check(fresh.status === 201, `the new key takes a seat: ${fresh.status}`);
    const audit = await call('GET', `/api/v1/tenants/${acme()}/audit?limit=20`, undefined, { bearer });
    check(audit.body.items.some((e) => e.action === 'license.key_reissue' && e.resource_id === ctx.license.id), 'the reissue must be audited');
  });

  await t.test('archiving: the license leaves the list, is suspended, and comes back', async () => {
    check(ctx.license, 'needs the license of the search test');
    await page.goto(`${D}/t/${acme()}/licenses/${ctx.license.id}`);
    await page.getByRole('button', { name: 'Archive' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Archive this license?' });
    await dialog.getByRole('button', { name: 'Archive license' }).click();
    await page.getByTestId('archived-badge').waitFor();
    await shootEverywhere(page, 'support-archived');
    const got = await call('GET', `/api/v1/tenants/${acme()}/licenses/${ctx.license.id}`, undefined, { bearer });
    check(got.body.archived_at && got.body.is_active === false, `archived and suspended: ${JSON.stringify(got.body)}`);

    await page.goto(`${D}/t/${acme()}/licenses`);
    const rows = page.getByTestId('licenses-table').locator('tbody tr');
    await eventually(async () => (await rows.count()) > 0, 8000, 'the list');
    check(!(await page.getByTestId('licenses-table').textContent()).includes('Support Lookup'), 'an archived license must leave the default list');
    await page.getByLabel('Archived').selectOption('only');
    await eventually(async () => (await rows.count()) === 1 && (await rows.first().textContent()).includes('Support Lookup'), 8000, 'archived only');
    await shootEverywhere(page, 'support-archived-list');
    await rows.first().getByRole('link', { name: 'Support Lookup' }).click();
    await page.getByRole('button', { name: 'Bring back' }).click();
    await page.getByText('License brought back and resumed.').waitFor();
    const back = await call('GET', `/api/v1/tenants/${acme()}/licenses/${ctx.license.id}`, undefined, { bearer });
    check(back.body.archived_at === null && back.body.is_active === true, `brought back: ${JSON.stringify(back.body)}`);
  });

  await t.test('denials: analytics and the license page say which machine and who was refused', async () => {
    const made = await call('POST', `/api/v1/tenants/${acme()}/licenses`, { name: 'One Seat Studio', seats_total: 1 }, { bearer });
    check(made.status === 201, `create: ${made.status}`);
    const key = made.body.license_key;
    check((await call('POST', '/api/v1/licenses/acquire', { license_key: key, hardware_id: 'WS-first' })).status === 201, 'the first seat');
    const refused = await call('POST', '/api/v1/licenses/acquire', { license_key: key, hardware_id: 'WS-denied-9', user_email: 'max@acme.test' });
    check(refused.status === 409, `the second machine must be refused: ${refused.status}`);

    await page.goto(`${D}/t/${acme()}/analytics`);
    const list = page.getByTestId('denials-table');
    await eventually(async () => (await list.count()) === 1 && (await list.textContent()).includes('WS-denied-9'), 10_000, 'the refused machine on the analytics page');
    const row = list.locator('tbody tr').filter({ hasText: 'WS-denied-9' }).first();
    const text = await row.textContent();
    check(text.includes('max@acme.test') && text.includes('One Seat Studio'), `the row must name who and which license: "${text}"`);
    await page.getByTestId('denials-list').scrollIntoViewIfNeeded();
    const overflow = await shootEverywhere(page, 'support-denials-analytics');
    check(overflow <= 1, `the analytics page is ${overflow}px wider than the phone`);
    await page.goto(`${D}/t/${acme()}/licenses/${made.body.id}`);
    await eventually(async () => ((await page.getByTestId('denials-table').textContent()) ?? '').includes('max@acme.test'), 10_000, 'the refusal on the license page');
  });
}
