// Makes the README screenshots (docs/screenshots/licenses.png and analytics.png): starts the
// real server, creates a tenant with a few licenses, simulates clients taking and giving
// back seats for a few minutes (some acquires are denied), then photographs the licenses
// and analytics pages. Usage: node e2e/demo.mjs [minutes, default 4]
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { openPerson, startServer, WEB_DIR } from './harness.mjs';

const minutes = Number(process.argv[2] ?? 4);
const BIN = path.resolve(WEB_DIR, process.env.CODITECT_BIN ?? '../target/debug/coditect-license');
const OUT = path.resolve(WEB_DIR, '../docs/screenshots');
const BOOTSTRAP = randomBytes(24).toString('hex');
const server = await startServer({ bin: BIN, env: { CODITECT_BOOTSTRAP_TOKEN: BOOTSTRAP, CODITECT_USAGE_SAMPLE_SECONDS: '5' } });
const S = server.base;
const call = async (method, p, body, bearer = BOOTSTRAP) => {
  const r = await fetch(`${S}${p}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` }, body: body && JSON.stringify(body) });
  return { status: r.status, body: await r.json().catch(() => null) };
};
try {
  const tenant = (await call('POST', '/api/v1/tenants', { name: 'Acme Corp', slug: 'acme' })).body;
  const day = 86_400_000;
  const specs = [
    ['Acme CAD – engineering', 12, null, ['export', 'render']],
    ['Acme CAD – design studio', 6, Date.now() + 20 * day, ['export']],
    ['Render Farm', 4, Date.now() + 5 * day, ['render']],
    ['Viewer (site license)', 50, null, []],
    ['Legacy 2019 seats', 5, Date.now() - 3 * day, []],
    ['Trial – Globex evaluation', 3, Date.now() + 12 * day, ['export']],
  ];
  const lics = [];
  for (const [name, seats, exp, ent] of specs) {
    lics.push((await call('POST', `/api/v1/tenants/${tenant.id}/licenses`, { name, seats_total: seats, expires_at: exp && new Date(exp).toISOString(), entitlements: ent, heartbeat_ttl_seconds: 60 })).body);
  }
  await call('PATCH', `/api/v1/tenants/${tenant.id}/licenses/${lics[5].id}`, { is_active: false });
  const held = lics.map(() => []);
  const end = Date.now() + minutes * 60_000;
  let tick = 0;
  console.log(`simulating clients for ${minutes} min…`);
  while (Date.now() < end) {
    tick++;
    for (const [i, l] of lics.entries()) {
      if (i >= 4) continue;
      const wave = 0.55 + 0.45 * Math.sin(tick / 8 + i);
      const want = Math.round(l.seats_total * (i === 2 ? 1.25 : 0.9) * wave);
      while (held[i].length > want) {
        const s = held[i].shift();
        await call('POST', '/api/v1/licenses/release', { license_key: l.license_key, session_id: s });
      }
      for (let k = held[i].length; k < want; k++) {
        const r = await call('POST', '/api/v1/licenses/acquire', { license_key: l.license_key, hardware_id: `host-${i}-${tick}-${k}`, user_email: `user${k}@acme.example` });
        if (r.status === 201) held[i].push(r.body.session_id);
      }
      for (const s of held[i]) await call('POST', '/api/v1/licenses/heartbeat', { license_key: l.license_key, session_id: s });
    }
    await new Promise((r) => setTimeout(r, 5000));
  }
  const p = await openPerson('demo');
  const setup = await fetch(`${S}/api/v1/auth/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ bootstrap_token: BOOTSTRAP, email: 'sam@vendor.example', name: 'Sam', password: 'demo password 123' }) });
  if (setup.status !== 201) throw new Error(`setup ${setup.status}`);
  await p.page.goto(`${S}/dashboard/login`);
  await p.page.getByLabel('E-mail').fill('sam@vendor.example');
  await p.page.getByLabel('Password').fill('demo password 123');
  await p.page.getByRole('button', { name: 'Sign in' }).click();
  await p.page.getByRole('heading', { name: 'All tenants' }).waitFor();
  mkdirSync(OUT, { recursive: true });
  await p.page.goto(`${S}/dashboard/t/${tenant.id}/licenses`);
  await p.page.getByTestId('licenses-table').waitFor();
  await p.page.waitForTimeout(800);
  await p.page.screenshot({ path: path.join(OUT, 'licenses.png') });
  await p.page.goto(`${S}/dashboard/t/${tenant.id}/analytics?range=15m`);
  await p.page.getByRole('heading', { name: 'Peak seats per license' }).waitFor();
  await p.page.waitForTimeout(1500);
  await p.page.screenshot({ path: path.join(OUT, 'analytics.png'), fullPage: true });
  await p.close();
  console.log(`screenshots in ${OUT}`);
} finally {
  await server.stop();
}
