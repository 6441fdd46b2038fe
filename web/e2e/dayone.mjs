// End-to-end tests of the day-one fixes of issue #15, run by run.mjs: the slug field's browser
// check, the tenant switcher and header after creating tenants (run right after first-run
// setup, while there is no tenant yet), the no-access page, the phone layout (licenses as cards,
// no sideways scroll) and the labelled theme button. Screenshots of every page they changed,
// light and dark, desktop and phone.
import { check, eventually, screenshot } from './harness.mjs';

const PHONE = { width: 390, height: 844 };
const NO_ACCESS = "You don't have access to this tenant";

/** Screenshots `page` as `name-light` and `name-dark` (the theme set on the page), then restores it. */
export async function shootBoth(page, name) {
  const before = await page.evaluate(() => document.documentElement.dataset.theme ?? null);
  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => { document.documentElement.dataset.theme = t; }, theme);
    await page.waitForTimeout(150);
    await screenshot(page, `${name}-${theme}`);
  }
  await page.evaluate((t) => { if (t) document.documentElement.dataset.theme = t; else delete document.documentElement.dataset.theme; }, before);
}

/** The tenant switcher's option labels, or null when there is no switcher. */
async function switcherOptions(page) {
  const sw = page.getByRole('combobox', { name: 'Tenant' });
  if ((await sw.count()) === 0) return null;
  return sw.locator('option').allTextContents();
}

/** Creates a tenant in the staff page's form (no reload); returns its id. */
async function createTenant(page, name) {
  await page.getByLabel('Tenant name').fill(name);
  await page.getByRole('button', { name: 'Create tenant' }).click();
  await page.waitForURL(/\/dashboard\/t\/[^/]+\/licenses$/);
  return page.url().split('/t/')[1].split('/')[0];
}

/**
 * The tests that need a server with no tenant yet: run right after first-run setup with the
 * signed-in staff `page`. Leaves `state.initech` and `state.hooli` (two tenants) behind.
 */
export async function dayOneFirstTenantTests({ t, page, D, state }) {
  await t.test("day one: the slug field's pattern is valid in Chromium and refuses a bad slug", async () => {
    const consoleErrors = [];
    const posts = [];
    const onConsole = (m) => { if (/pattern/i.test(m.text())) consoleErrors.push(`${m.type()}: ${m.text()}`); };
    const onRequest = (r) => { if (r.method() === 'POST' && r.url().endsWith('/api/v1/tenants')) posts.push(r.url()); };
    page.on('console', onConsole);
    page.on('request', onRequest);
    try {
      await page.goto(`${D}/staff`);
      await page.getByLabel('Tenant name').fill('Initech');
      const slug = page.getByLabel('Tenant slug');
      check((await slug.inputValue()) === 'initech', `slug pre-filled from the name: ${await slug.inputValue()}`);
      await slug.fill('Not A Slug!');
      const v = await slug.evaluate((el) => ({ valid: el.checkValidity(), mismatch: el.validity.patternMismatch, message: el.validationMessage }));
      check(v.mismatch && !v.valid, `Chromium must refuse "Not A Slug!" by the pattern: ${JSON.stringify(v)}`);
      check(/lower-case letters/.test(v.message) && /dashes/.test(v.message), `the browser's message must say what a slug is: "${v.message}"`);
      await page.getByRole('button', { name: 'Create tenant' }).click();
      await page.waitForTimeout(300);
      check(posts.length === 0, `the browser sent the bad slug to the server: ${posts}`);
      check(page.url().endsWith('/staff'), `left the staff page: ${page.url()}`);
      await shootBoth(page, 'dayone-staff-bad-slug-desktop');
      await slug.fill('initech');
      check(await slug.evaluate((el) => el.checkValidity()), 'a good slug must pass the browser check');
      check(consoleErrors.length === 0, `console errors about the pattern:\n${consoleErrors.join('\n')}`);
    } finally {
      page.off('console', onConsole);
      page.off('request', onRequest);
    }
  });

  await t.test('day one: the tenant switcher appears with the first tenant and follows each new one, no reload', async () => {
    await page.goto(`${D}/staff`);
    await page.getByRole('heading', { name: 'All tenants' }).waitFor();
    check((await switcherOptions(page)) === null, `no tenant yet, yet a switcher offers ${await switcherOptions(page)}`);
    await page.evaluate(() => { window.__noReload = true; });
    state.initech = await createTenant(page, 'Initech');
    const sw = page.getByRole('combobox', { name: 'Tenant' });
    await eventually(async () => (await switcherOptions(page))?.includes('Initech'), 5000, 'Initech in the switcher');
    check((await sw.inputValue()) === state.initech, `the switcher must select the new tenant, has ${await sw.inputValue()}`);
    await eventually(async () => (await page.getByTestId('header-tenant').textContent()) === 'Initech', 5000, 'the header names Initech');
    const crumbs = page.getByRole('navigation', { name: 'Breadcrumb' });
    check((await crumbs.textContent()).includes('Initech'), `breadcrumb: ${await crumbs.textContent()}`);

    await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Staff: all tenants' }).click();
    await page.getByRole('heading', { name: 'All tenants' }).waitFor();
    state.hooli = await createTenant(page, 'Hooli');
    await eventually(async () => {
      const o = await switcherOptions(page);
      return o?.includes('Initech') && o.includes('Hooli');
    }, 5000, 'Initech and Hooli in the switcher').catch(async (e) => { throw new Error(`${e.message}; offers ${await switcherOptions(page)}`); });
    await eventually(async () => (await page.getByTestId('header-tenant').textContent()) === 'Hooli', 5000, 'the header names Hooli');
    check(await page.evaluate(() => window.__noReload === true), 'the page reloaded');
    await sw.selectOption(state.initech);
    await page.waitForURL(new RegExp(`/t/${state.initech}/licenses$`));
    await eventually(async () => (await page.getByTestId('header-tenant').textContent()) === 'Initech', 5000, 'the header follows the switcher');
    await shootBoth(page, 'dayone-tenant-header-desktop');
  });
}

/**
 * The later tests: no-access page, phone layout and theme button. `ctx` as billing.mjs's,
 * plus `person`, the staff and Globex owner sign-ins and `state` with `initech`.
 */
export async function dayOneTests({ t, person, page, D, call, bearer, need, staff, globexOwner }) {
  const signIn = async (p, { email, password }) => {
    await p.page.goto(`${D}/login`);
    await p.page.getByLabel('E-mail').fill(email);
    await p.page.getByLabel('Password').fill(password);
    await p.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await p.page.waitForURL((u) => !u.pathname.endsWith('/login'));
  };

  await t.test("day one: a tenant you cannot see shows a no-access page with a way back, not not_found", async () => {
    const acme = need('acme');
    const otto = await person('dayone-otto');
    await signIn(otto, globexOwner);
    await otto.page.goto(`${D}/t/${acme}/licenses`);
    await otto.page.getByRole('heading', { name: NO_ACCESS }).waitFor();
    const text = await otto.page.locator('main').textContent();
    check(!text.includes('not_found') && !text.includes('Not found'), `raw error on the page: ${text}`);
    check(!(await otto.page.getByTestId('header-tenant').count()) || !(await otto.page.getByTestId('header-tenant').textContent()).includes('Acme'), 'the header names the hidden tenant');
    await otto.page.getByRole('link', { name: 'Back to your tenants' }).click();
    await otto.page.waitForURL(new RegExp(`/t/${need('globex')}/licenses$`));
    await otto.page.getByRole('heading', { name: 'Licenses' }).waitFor();

    for (const id of ['0190ffff-0000-7000-8000-000000000000', 'no-such-tenant']) {
      await page.goto(`${D}/t/${id}/audit`);
      await page.getByRole('heading', { name: NO_ACCESS }).waitFor();
    }
    await shootBoth(page, 'dayone-no-access-desktop');
    await page.getByRole('link', { name: 'Back to all tenants' }).click();
    await page.getByRole('heading', { name: 'All tenants' }).waitFor();

    const phone = await person('dayone-otto-phone', { viewport: PHONE });
    await signIn(phone, globexOwner);
    await phone.page.goto(`${D}/t/${acme}/licenses/${need('license')}`);
    await phone.page.getByRole('heading', { name: NO_ACCESS }).waitFor();
    await shootBoth(phone.page, 'dayone-no-access-phone');
  });

  await t.test('day one: on a phone the licenses are cards with status, seats and actions, and nothing scrolls sideways', async () => {
    const tenant = need('initech');
    const day = 86_400_000;
    const made = {};
    for (const [name, seats, expires] of [['Initech Suite', 5, null], ['Initech Trial With A Rather Long Name', 2, Date.now() + 5 * day], ['Initech Legacy', 10, Date.now() + 400 * day]]) {
      const r = await call('POST', `/api/v1/tenants/${tenant}/licenses`, { name, seats_total: seats, expires_at: expires && new Date(expires).toISOString() }, { bearer });
      check(r.status === 201, `create ${name}: ${r.status}`);
      made[name] = r.body;
    }
    const off = await call('PATCH', `/api/v1/tenants/${tenant}/licenses/${made['Initech Legacy'].id}`, { is_active: false }, { bearer });
    check(off.status === 200, `suspend: ${off.status}`);
    const acq = await call('POST', '/api/v1/licenses/acquire', { license_key: made['Initech Suite'].license_key, hardware_id: 'initech-workstation-0042', user_email: 'peter.gibbons@initech.test', client: { name: 'tps-report', version: '3.2' } });
    check(acq.status === 201, `acquire: ${acq.status} ${JSON.stringify(acq.body)}`);

    const p = await person('dayone-phone', { viewport: PHONE });
    await signIn(p, staff);
    const pg = p.page;
    await pg.goto(`${D}/t/${tenant}/licenses`);
    const rows = pg.getByTestId('licenses-table').locator('tbody tr');
    await eventually(async () => (await rows.count()) === 3, 8000, '3 licenses');
    await pg.waitForTimeout(300);
    const width = await pg.evaluate(() => window.innerWidth);
    const inView = async (loc, what) => {
      check(await loc.isVisible(), `${what} is not visible`);
      const b = await loc.boundingBox();
      check(b && b.x >= 0 && b.x + b.width <= width + 0.5, `${what} is outside the ${width}px screen: ${JSON.stringify(b)}`);
    };
    for (let i = 0; i < 3; i++) {
      const row = rows.nth(i);
      const name = (await row.getByRole('link').first().textContent()).trim();
      await inView(row, `card of ${name}`);
      await inView(row.locator('.badge').first(), `status of ${name}`);
      await inView(row.locator('.seats-cell'), `seats of ${name}`);
      check(/\d+\/\d+/.test(await row.locator('.seats-cell').textContent()), `seats of ${name} read ${await row.locator('.seats-cell').textContent()}`);
      await inView(row.getByRole('checkbox'), `select box of ${name}`);
    }
    const legacy = rows.filter({ hasText: 'Initech Legacy' });
    check((await legacy.locator('.badge').first().textContent()) === 'suspended', 'the suspended license says so');
    check((await rows.filter({ hasText: 'Initech Suite' }).locator('.seats-cell').textContent()).includes('1/5'), 'Initech Suite shows 1/5 seats');
    const sideways = await pg.evaluate(() => {
      const wrap = document.querySelector('[data-testid="licenses-table"]').closest('.table-wrap');
      return { doc: document.documentElement.scrollWidth - window.innerWidth, wrap: wrap.scrollWidth - wrap.clientWidth };
    });
    check(sideways.doc <= 0, `the licenses page is ${sideways.doc}px wider than the phone`);
    check(sideways.wrap <= 0, `the licenses list scrolls ${sideways.wrap}px sideways`);
    await shootBoth(pg, 'dayone-licenses-phone');

    await rows.filter({ hasText: 'Initech Suite' }).getByRole('link', { name: 'Initech Suite' }).click();
    const sessions = pg.getByTestId('sessions-table');
    const card = sessions.locator('tbody tr').filter({ hasText: 'peter.gibbons@initech.test' });
    await card.waitFor();
    await inView(card, 'the session card');
    await inView(card.getByRole('button', { name: 'Force release' }), 'Force release');
    await inView(card.getByText('initech-workstation-0042'), 'the hardware id');
    const detailOver = await pg.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(detailOver <= 0, `the license page is ${detailOver}px wider than the phone`);
    const crumbs = pg.getByRole('navigation', { name: 'Breadcrumb' });
    check((await crumbs.textContent()).includes('Initech') && (await crumbs.textContent()).includes('Initech Suite'), `breadcrumb: ${await crumbs.textContent()}`);
    await shootBoth(pg, 'dayone-license-detail-phone');

    await page.goto(`${D}/t/${tenant}/licenses`);
    await eventually(async () => (await page.getByTestId('licenses-table').locator('tbody tr').count()) === 3, 8000, '3 licenses on the desktop');
    await shootBoth(page, 'dayone-licenses-desktop');
    await page.goto(`${D}/t/${tenant}/licenses/${made['Initech Suite'].id}`);
    await page.getByTestId('sessions-table').getByText('peter.gibbons@initech.test').waitFor();
    await shootBoth(page, 'dayone-license-detail-desktop');
    await pg.goto(`${D}/staff`);
    await pg.getByRole('heading', { name: 'All tenants' }).waitFor();
    await shootBoth(pg, 'dayone-staff-phone');
  });

  await t.test('day one: the theme toggle is a button named for what it does', async () => {
    const p = await person('dayone-theme', { viewport: PHONE, colorScheme: 'light' });
    await signIn(p, staff);
    const pg = p.page;
    await pg.getByRole('button', { name: 'Menu' }).click();
    const toDark = pg.getByRole('button', { name: 'Switch to dark theme', exact: true });
    await toDark.waitFor();
    const described = async (loc) => loc.evaluate((el) => (el.getAttribute('aria-describedby') || '').split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' ').trim());
    check(/light/i.test(await described(toDark)), `the button must tell the current theme: "${await described(toDark)}"`);
    await toDark.click();
    const bg = await pg.evaluate(() => getComputedStyle(document.body).backgroundColor);
    check(bg === 'rgb(11, 18, 32)', `dark background expected, got ${bg}`);
    const toLight = pg.getByRole('button', { name: 'Switch to light theme', exact: true });
    await toLight.waitFor();
    check(/dark/i.test(await described(toLight)), `after the switch the button must tell "dark": "${await described(toLight)}"`);
    await pg.reload();
    await pg.getByRole('button', { name: 'Menu' }).click();
    await toLight.waitFor();
    check((await pg.evaluate(() => getComputedStyle(document.body).backgroundColor)) === 'rgb(11, 18, 32)', 'dark must survive a reload');
    await toLight.click();
    await toDark.waitFor();
    check((await pg.evaluate(() => getComputedStyle(document.body).backgroundColor)) === 'rgb(248, 250, 252)', 'back to light');
    await screenshot(pg, 'dayone-theme-menu-phone-light');
    await page.goto(`${D}/staff`);
    await page.getByRole('heading', { name: 'All tenants' }).waitFor();
    check((await page.getByRole('button', { name: /^Switch to (dark|light) theme$/ }).count()) === 1, 'one labelled theme button on the desktop');
  });
}
