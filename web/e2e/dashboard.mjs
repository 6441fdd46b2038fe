// End-to-end tests of the dashboard fixes of issue #15 points 4–8, run by run.mjs with the
// signed-in staff `page`: the analytics chart's newest bucket (marked "so far", never a drop
// to zero while seats are live), the API reference with every other origin cut off, the
// phone layout of the other tables (cards, nothing scrolling sideways), the borrow field of
// the license form, the stale "Live" label when polling stops answering, and the audit
// filters with the link from an entry to its license. Screenshots of every page they
// changed, light and dark, desktop and phone.
import { readFile } from 'node:fs/promises';
import { shootBoth } from './dayone.mjs';
import { check, eventually } from './harness.mjs';

const PHONE = { width: 390, height: 844 };

/** The y of each flat segment of a step path `M x,y H x2 L x,y H x2 …`, in order. */
function stepLevels(d) {
  return [...d.matchAll(/[ML]([\d.]+),([\d.]+)H([\d.]+)/g)].map((m) => ({ x0: Number(m[1]), y: Number(m[2]), x1: Number(m[3]) }));
}

/** Signs `p` in with e-mail and password. */
async function signIn(p, D, { email, password }) {
  await p.page.goto(`${D}/login`);
  await p.page.getByLabel('E-mail').fill(email);
  await p.page.getByLabel('Password').fill(password);
  await p.page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await p.page.waitForURL((u) => !u.pathname.endsWith('/login'));
}

/** How many pixels the page is wider than its window (0 when nothing scrolls sideways). */
const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

/**
 * The dashboard tests. `staff` signs in the phone person; `need` reads what earlier tests
 * left (the Acme tenant and its first license).
 */
export async function dashboardTests({ t, person, page, S, D, call, bearer, need, staff }) {
  const acme = need('acme');
  let chartLicense = null;

  await t.test('dashboard: the newest analytics bucket is "so far" and never drawn as a drop to zero while seats are live', async () => {
    const made = await call('POST', `/api/v1/tenants/${acme}/licenses`, { name: 'Chart Check', seats_total: 4 }, { bearer });
    check(made.status === 201, `create: ${made.status}`);
    chartLicense = made.body;
    for (const hw of ['chart-host-1', 'chart-host-2']) {
      const r = await call('POST', '/api/v1/licenses/acquire', { license_key: made.body.license_key, hardware_id: hw });
      check(r.status === 201, `acquire ${hw}: ${r.status}`);
    }
    const url = `${D}/t/${acme}/analytics?range=15m&license=${made.body.id}`;
    await page.goto(url);
    await eventually(async () => {
      if (Number(await page.getByTestId('stat-peak').textContent()) >= 2) return true;
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.waitForTimeout(800);
      return false;
    }, 20_000, 'peak 2');
    const chart = page.getByTestId('chart-seats');
    await chart.getByTestId('partial-bucket').waitFor();
    check((await chart.getByTestId('partial-bucket').textContent()).includes('so far'), 'the running bucket is labelled "so far"');
    check((await page.getByTestId('chart-legend').first().textContent()).includes('so far'), 'the legend explains the hatched bucket');
    check((await page.getByTestId('stat-peak-percent').textContent()).includes('50% of 4 seats'), `peak in percent of the seats: ${await page.getByTestId('stat-peak-percent').textContent()}`);
    check(/Refreshes every \d+ s/.test(await page.getByTestId('auto-refresh').textContent()), 'the page says it refreshes on its own');
    const peakPath = chart.locator('path.chart-line.series-1');
    const baseline = await chart.locator('svg').evaluate((svg) => svg.viewBox.baseVal.height - 28);
    const levels = stepLevels(await peakPath.getAttribute('d'));
    check(levels.length > 0, 'a step path is drawn');
    const last = levels[levels.length - 1];
    check(last.y < baseline - 1, `the newest drawn bucket must show the live seats, not zero (y ${last.y} vs baseline ${baseline})`);
    // Steps, not ramps: every segment is flat and each riser joins the previous segment's end.
    for (let i = 1; i < levels.length; i++) check(Math.abs(levels[i].x0 - levels[i - 1].x1) < 0.2 || levels[i].x0 > levels[i - 1].x1, 'a ramp between buckets');
    const [peakColour, avgColour] = await Promise.all([peakPath, chart.locator('path.chart-line.series-2')].map((l) => l.evaluate((el) => getComputedStyle(el).stroke)));
    check(peakColour !== avgColour, `peak and average share a colour: ${peakColour}`);
    await shootBoth(page, 'dashboard-analytics-desktop');

    // The moment a new bucket has begun and the sampler has not written it yet: the bucket
    // before held the two live seats, the running one says zero so far. The chart leaves
    // the running bucket out instead of drawing a fall to zero.
    const isAnalytics = (u) => u.pathname.endsWith(`/tenants/${acme}/analytics`);
    const forceUnsampled = async (route) => {
      try {
        const res = await route.fetch();
        const body = await res.json();
        const n = body.series?.length ?? 0;
        if (n >= 2) {
          Object.assign(body.series[n - 2], { seats_used_peak: 2, seats_used_avg: 2, partial: false });
          Object.assign(body.series[n - 1], { seats_used_peak: 0, seats_used_avg: 0, partial: true });
        }
        await route.fulfill({ response: res, json: body });
      } catch {
        // The page moved on (a navigation or the next refresh) while this answer was on its way.
      }
    };
    await page.route(isAnalytics, forceUnsampled);
    try {
      await page.goto(url);
      await chart.getByTestId('partial-bucket').waitFor();
      const forced = stepLevels(await peakPath.getAttribute('d'));
      const end = forced[forced.length - 1];
      check(end.y < baseline - 1, `with an unsampled running bucket the line still ends at the live seats (y ${end.y}, baseline ${baseline})`);
      const partialX = Number(await chart.getByTestId('partial-bucket').locator('rect').getAttribute('x'));
      check(end.x1 <= partialX + 0.5, 'the unsampled running bucket is left out, not drawn at zero');
    } finally {
      await page.unroute(isAnalytics, forceUnsampled);
    }
    const phone = await person('dashboard-analytics-phone', { viewport: PHONE });
    await signIn(phone, D, staff);
    await phone.page.goto(url);
    await phone.page.getByTestId('partial-bucket').first().waitFor();
    check((await overflow(phone.page)) <= 0, `analytics is ${await overflow(phone.page)}px wider than the phone`);
    await shootBoth(phone.page, 'dashboard-analytics-phone');
  });

  await t.test('dashboard: the API reference, linked from the dashboard, renders with every other origin cut off', async () => {
    const origin = new URL(S).origin;
    const outside = [];
    const ctx = page.context();
    const guard = async (route) => {
      try {
        if (new URL(route.request().url()).origin === origin) await route.fallback();
        else {
          outside.push(route.request().url());
          await route.abort('blockedbyclient');
        }
      } catch {
        // The page closed while the request was pending.
      }
    };
    await ctx.route('**/*', guard);
    try {
      await page.goto(`${D}/staff`);
      const link = page.getByRole('link', { name: 'API reference' });
      check((await link.getAttribute('href')) === '/api/docs', `the dashboard links to the reference: ${await link.getAttribute('href')}`);
      const [docs] = await Promise.all([ctx.waitForEvent('page'), link.click()]);
      await docs.waitForLoadState('load');
      await docs.getByText('Takes a seat, or resumes this hardware', { exact: false }).first().waitFor({ timeout: 20_000 });
      await docs.waitForTimeout(500);
      check(outside.length === 0, `requests left the origin:\n${outside.join('\n')}`);
      await shootBoth(docs, 'dashboard-api-reference-desktop');
      await docs.close();
    } finally {
      await ctx.unroute('**/*', guard);
    }
  });

  await t.test('dashboard: on a phone the other tables are cards and nothing scrolls sideways', async () => {
    const p = await person('dashboard-phone', { viewport: PHONE });
    await signIn(p, D, staff);
    const pg = p.page;
    const pages = [
      ['staff', `${D}/staff`, 'tenants-table'],
      ['products', `${D}/products`, 'products-table'],
      ['webhooks', `${D}/t/${acme}/webhooks`, 'webhooks-table'],
      ['people', `${D}/t/${acme}/people`, 'members-table'],
      ['usage', `${D}/t/${acme}/usage?range=24h`, 'usage-licenses'],
      ['audit', `${D}/t/${acme}/audit`, 'audit-list'],
    ];
    for (const [name, url, testId] of pages) {
      await pg.goto(url);
      const table = pg.getByTestId(testId).first();
      await table.waitFor();
      await pg.waitForTimeout(300);
      const over = await overflow(pg);
      check(over <= 0, `${name}: the page is ${over}px wider than the phone`);
      if (testId !== 'audit-list') {
        const layout = await table.evaluate((el) => {
          const row = el.querySelector('tbody tr');
          const wrap = el.closest('.table-wrap') ?? el.parentElement;
          return { row: row ? getComputedStyle(row).display : null, sideways: wrap.scrollWidth - wrap.clientWidth };
        });
        check(layout.row === 'grid', `${name}: rows must be cards on a phone, are display:${layout.row}`);
        check(layout.sideways <= 0, `${name}: the table scrolls ${layout.sideways}px sideways`);
      }
      await shootBoth(pg, `dashboard-${name}-phone`);
    }
    for (const [name, url, testId] of pages.filter(([n]) => n !== 'audit')) {
      await page.goto(url);
      await page.getByTestId(testId).first().waitFor();
      await shootBoth(page, `dashboard-${name}-desktop`);
    }
    // The product form's slug gets the browser check of the tenant slug.
    await page.goto(`${D}/products`);
    await page.getByRole('button', { name: /New product/ }).click();
    const slug = page.locator('input[name="slug"]');
    await slug.fill('Not A Slug!');
    const v = await slug.evaluate((el) => ({ mismatch: el.validity.patternMismatch, message: el.validationMessage }));
    check(v.mismatch && /lower-case letters/.test(v.message), `the product slug's pattern must refuse "Not A Slug!": ${JSON.stringify(v)}`);
  });

  await t.test('dashboard: the license form sets the longest offline borrow', async () => {
    const lid = chartLicense?.id ?? need('license');
    await page.goto(`${D}/t/${acme}/licenses/${lid}`);
    await page.getByRole('button', { name: 'Edit' }).click();
    const form = page.getByRole('form', { name: 'Save changes' });
    const borrow = form.getByLabel(/Longest offline borrow/);
    check((await borrow.inputValue()) === '0', `a new license does not lend: ${await borrow.inputValue()}`);
    await borrow.fill('3000');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.getByText('Longest borrow must be between 0 and 2160.').waitFor();
    await borrow.fill('72');
    await form.getByText('up to 72 hours (3 days)', { exact: false }).waitFor();
    await shootBoth(page, 'dashboard-license-borrow-desktop');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved.').waitFor();
    check((await page.getByTestId('max-borrow').textContent()).includes('72 h'), 'the page shows the borrow limit');
    const got = await call('GET', `/api/v1/tenants/${acme}/licenses/${lid}`, undefined, { bearer });
    check(got.body.max_borrow_hours === 72, `stored max_borrow_hours: ${got.body.max_borrow_hours}`);
  });

  await t.test('dashboard: the Live label goes stale when the server stops answering, and comes back', async () => {
    const lid = chartLicense?.id ?? need('license');
    await page.goto(`${D}/t/${acme}/licenses/${lid}`);
    const label = page.getByTestId('live-label');
    await eventually(async () => (await label.getAttribute('data-state')) === 'live', 8000, 'live');
    const liveColour = await label.evaluate((el) => getComputedStyle(el).color);
    const cut = (route) => route.abort('connectionrefused');
    const polled = (u) => u.pathname.startsWith(`/api/v1/tenants/${acme}/licenses/${lid}`);
    await page.route(polled, cut);
    try {
      await eventually(async () => (await label.getAttribute('data-state')) === 'stale', 10_000, 'stale');
      await page.waitForTimeout(1200);
      const text = await label.textContent();
      check(/^Stale — last update \d+ s ago/.test(text), `the label says how old the numbers are: "${text}"`);
      check((await label.evaluate((el) => getComputedStyle(el).color)) !== liveColour, 'stale has another colour');
      await shootBoth(page, 'dashboard-live-stale-desktop');
    } finally {
      await page.unroute(polled, cut);
    }
    await eventually(async () => (await label.getAttribute('data-state')) === 'live', 10_000, 'live again');
  });

  await t.test('dashboard: audit filters run on the server and an entry links to its license', async () => {
    await page.goto(`${D}/t/${acme}/audit`);
    const list = page.getByTestId('audit-list');
    await list.locator('article').first().waitFor();
    await Promise.all([
      page.waitForRequest((r) => r.url().includes('/audit?') && new URL(r.url()).searchParams.get('resource') === 'session'),
      page.getByLabel('Resource').selectOption('session'),
    ]);
    await eventually(async () => {
      const actions = await list.locator('article').evaluateAll((els) => els.map((e) => e.dataset.action));
      return actions.length > 0 && actions.every((a) => a.startsWith('session.'));
    }, 8000, 'only session entries');
    const release = list.locator('article[data-action="session.force_release"]').first();
    const target = release.getByTestId('audit-target').getByRole('link').first();
    const words = await target.textContent();
    check(/^Session of ana@acme\.test on e2e-host-1 · license \S/.test(words) && !words.includes('…'), `the entry names the session, its machine and its license by name: "${words}"`);
    await shootBoth(page, 'dashboard-audit-filtered-desktop');
    const phone = await person('dashboard-audit-phone', { viewport: PHONE });
    await signIn(phone, D, staff);
    await phone.page.goto(`${D}/t/${acme}/audit?resource=session`);
    await phone.page.getByTestId('audit-target').first().waitFor();
    check((await overflow(phone.page)) <= 0, 'the filtered audit page fits the phone');
    await shootBoth(phone.page, 'dashboard-audit-filtered-phone');

    const today = new Date().toISOString().slice(0, 10);
    await page.getByLabel('Resource').selectOption('');
    await page.getByLabel('Action').selectOption('license.create');
    await page.getByLabel('From').fill(today);
    await eventually(async () => {
      const actions = await list.locator('article').evaluateAll((els) => els.map((e) => e.dataset.action));
      return actions.length > 0 && actions.every((a) => a === 'license.create');
    }, 8000, 'only license.create today');
    await page.getByLabel('Actor').fill('nobody-at-all');
    await list.getByText('No entry matches these filters.').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await list.locator('article').first().waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const csv = await readFile(await download.path(), 'utf8');
    check(csv.startsWith('at,action,actor_type,actor,resource,resource_id,about,license_id,before,after'), `audit CSV header: ${csv.slice(0, 80)}`);
    check(csv.includes('session.force_release'), 'the CSV holds the entries');

    await page.getByLabel('Resource').selectOption('session');
    await list.locator('article[data-action="session.force_release"]').first().getByTestId('audit-target').getByRole('link').first().click();
    await page.waitForURL(new RegExp(`/t/${acme}/licenses/${need('license')}$`));
    await page.getByTestId('license-audit-link').click();
    await page.waitForURL(/\/audit\?resource_id=/);
    await eventually(async () => {
      const ids = await list.locator('article').count();
      return ids > 0 && (await page.getByTestId('audit-only').textContent()).includes('License ');
    }, 8000, "the license's own history");
  });
}
