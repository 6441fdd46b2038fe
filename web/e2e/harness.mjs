// What the end-to-end run needs around the tests: the real server binary on a free loopback
// port with a fresh data dir, Debian's Chromium (never a downloaded browser) with a fresh
// profile per person, a tiny test runner, and screenshots.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SHOTS_DIR = path.join(WEB_DIR, 'e2e', 'screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** A TCP port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** Starts `coditect-license serve`; resolves once `/health/` answers. */
export async function startServer({ bin, env }) {
  if (!existsSync(bin)) throw new Error(`server binary not found at ${bin}: build it with \`cargo build -p coditect-license\` or set CODITECT_BIN`);
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'coditect-e2e-data-'));
  const base = `http://127.0.0.1:${port}`;
  const log = [];
  const child = spawn(bin, ['serve'], {
    env: { ...process.env, CODITECT_LISTEN: `127.0.0.1:${port}`, CODITECT_DATA_DIR: dataDir, CODITECT_PUBLIC_URL: base, RUST_LOG: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d) => { log.push(d.toString()); if (log.length > 400) log.shift(); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  child.on('exit', (code, sig) => { exited = `exited with ${code ?? sig}`; });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`server ${exited} before answering:\n${log.join('')}`);
    try {
      const r = await fetch(`${base}/health/`);
      if (r.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`server did not answer /health/ within 60 s:\n${log.join('')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    log: () => log.join(''),
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        await new Promise((r) => { const t = setTimeout(() => { child.kill('SIGKILL'); r(); }, 5000); child.once('exit', () => { clearTimeout(t); r(); }); });
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A person at a browser: Chromium with a fresh profile of its own (cookies are not shared). */
export async function openPerson(label, { viewport = { width: 1360, height: 900 }, colorScheme = 'light' } = {}, pageErrors = []) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: apt-get install -y chromium`);
  const profile = mkdtempSync(path.join(os.tmpdir(), `coditect-e2e-${label}-`));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    colorScheme,
    acceptDownloads: true,
    timezoneId: 'UTC',
    locale: 'en-GB',
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => pageErrors.push(`${label}: ${e.message}`));
  return {
    ctx,
    page,
    async close() { await ctx.close(); rmSync(profile, { recursive: true, force: true }); },
  };
}

let shotNo = 0;
/** Saves a full-page screenshot as `NN-name.png`; returns its path. */
export async function screenshot(page, name) {
  mkdirSync(SHOTS_DIR, { recursive: true });
  const file = path.join(SHOTS_DIR, `${String(++shotNo).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Runs named tests in order; each failure is reported and the run goes on. */
export function runner() {
  const results = [];
  return {
    results,
    async test(name, fn) {
      const t0 = Date.now();
      try {
        await fn();
        results.push({ name, ok: true });
        console.log(`ok   ${name} (${Date.now() - t0} ms)`);
      } catch (e) {
        results.push({ name, ok: false, error: e });
        console.log(`FAIL ${name} (${Date.now() - t0} ms)\n     ${String(e?.stack ?? e).split('\n').slice(0, 6).join('\n     ')}`);
      }
    },
  };
}

/** Throws with `message` unless `cond`. */
export function check(cond, message) {
  if (!cond) throw new Error(message);
}

/** Retries `fn` until it returns a truthy value or `ms` pass. */
export async function eventually(fn, ms = 15_000, what = 'condition') {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) { last = e; }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
