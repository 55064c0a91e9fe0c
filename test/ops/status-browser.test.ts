import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpsBridge } from './ops-bridge.js';
import { startStatusScenario, SYNCED, VIEWER } from './scenario.js';

/**
 * /status in a real browser: Debian's Chromium driven by playwright-core, JavaScript off (the
 * page must not need it), against a bridge with users synced, failed and held. The screenshot
 * lands in test-results/status-page.png for a person to look at.
 */

const CHROMIUM = '/usr/bin/chromium';
const screenshot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../test-results/status-page.png');
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('/status in headless Chromium', () => {
  let ops: OpsBridge;
  let browser: Browser;

  beforeAll(async () => {
    // CI must install it (never skip): the page is only known to render if a browser rendered it.
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run .ci/install-chromium.sh (apt-get install -y chromium) before the tests`);
    ops = await startStatusScenario();
    browser = await chromium.launch({ executablePath: CHROMIUM, args });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await ops?.close();
  });

  it('renders every connection readably without JavaScript, and saves a screenshot', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    const response = await page.goto(`${ops.bridge.url}/status`);
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe('scim-bridge status');
    await expect.poll(() => page.locator('section.connection').count()).toBe(2);

    const yardstik = page.locator('#connection-yardstik');
    expect(await yardstik.locator('h2').innerText()).toMatch(/^yardstik\s+yardstik · eventual mode · drift: repair$/);
    expect(await yardstik.locator('.access').innerText()).toContain('Target reachable');
    expect(await countOf(yardstik, 'synced')).toBe(String(SYNCED.length - 2));
    expect(await countOf(yardstik, 'failed')).toBe('1');
    expect(await yardstik.innerText()).toContain('TARGET_REJECTED');
    expect(await yardstik.locator('table').filter({ hasText: 'why' }).innerText()).toContain(SYNCED[3]);

    const enterprise = page.locator('#connection-redis-enterprise');
    expect(await enterprise.locator('.access').innerText()).toContain(`Target problem as ${VIEWER.email}`);
    expect(await enterprise.locator('.access li').innerText()).toContain('only admin or user_manager may create, update and delete users');
    expect(await enterprise.innerText()).toMatch(/Last reconcile .*: 2 target accounts, no drift/);

    // Laid out, not a wall of unstyled text: the counts sit side by side.
    const boxes = await yardstik.locator('.counts > div').evaluateAll((divs) => divs.map((d) => d.getBoundingClientRect().top));
    expect(new Set(boxes.map(Math.round)).size).toBeLessThan(boxes.length);

    mkdirSync(path.dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(statSync(screenshot).size).toBeGreaterThan(10_000);
    expect(consoleErrors).toEqual([]);
    await context.close();
  }, 60_000);
});

async function countOf(section: ReturnType<import('playwright-core').Page['locator']>, label: string): Promise<string> {
  return section.locator('.counts > div').filter({ has: section.page().locator(`dt:text-is("${label}")`) }).locator('dd').innerText();
}
