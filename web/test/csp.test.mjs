// The package's Blade component under a strict script policy, in headless
// Chromium: a page served by a tested Laravel (clients/php/tests/Browser/server.php)
// with `Content-Security-Policy: default-src 'self'; script-src 'nonce-…'`,
// the nonce handed to Laravel's Vite as a host's CSP middleware does. Run by
// tests/integration/csp.rs, which passes:
//   PAGE_URL         the page, e.g. http://127.0.0.1:PORT/
//   PLAYWRIGHT_CORE  the installed playwright-core package directory
//   CHROMIUM         the browser executable (/usr/bin/chromium)
//   LABEL            which Laravel serves it, for the output

import assert from "node:assert/strict";
import path from "node:path";
import { pathToFileURL } from "node:url";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests through scripts/test`);
  return value;
};
const PAGE_URL = env("PAGE_URL");
const LABEL = env("LABEL");
const { chromium } = await import(pathToFileURL(path.join(env("PLAYWRIGHT_CORE"), "index.mjs")).href);

const browser = await chromium.launch({
  executablePath: env("CHROMIUM"),
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

/** Opens the page; returns its policy, the CSP violations, and the cards the widget shows (or null). */
async function visit(query) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  try {
    const response = await page.goto(new URL(query, PAGE_URL).href);
    assert.equal(response.status(), 200, await response.text());
    const policy = response.headers()["content-security-policy"];
    const script = await page.locator("script[type=module]").evaluate((s) => ({ nonce: s.nonce, attribute: s.getAttribute("nonce") }));
    // The module defines the element: then it shows its cards, or an error.
    const defined = await page.evaluate(() => Promise.race([
      customElements.whenDefined("adoption-summary").then(() => true),
      new Promise((resolve) => setTimeout(() => resolve(false), 5000)),
    ]));
    let cards = null;
    if (defined) {
      const widget = page.locator("adoption-summary");
      await widget.locator(".cards, [role=alert]").first().waitFor();
      const alert = widget.locator("[role=alert]");
      if (await alert.count()) throw new Error(`the widget shows an error: ${await alert.first().textContent()}`);
      cards = await widget.evaluate((host) => [...host.shadowRoot.querySelectorAll(".card")].map((card) => [card.dataset.event, card.querySelector(".count").textContent]));
    }
    return { policy, script, cards, violations: await page.evaluate(() => window.__violations), errors };
  } finally {
    await context.close();
  }
}

let failures = 0;
async function test(name, body) {
  try {
    await body();
    console.log(`ok - ${LABEL}: ${name}`);
  } catch (error) {
    failures += 1;
    console.log(`not ok - ${LABEL}: ${name}\n${error.stack || error}`);
  }
}

await test("with Vite's nonce the widget runs under script-src 'nonce-…' and shows every card", async () => {
  const seen = await visit("/");
  const nonce = /script-src 'nonce-([0-9a-f]+)'/.exec(seen.policy)?.[1];
  assert.ok(nonce, `a strict script policy: ${seen.policy}`);
  assert.equal(seen.script.nonce, nonce, "the module's script carries the page's nonce");
  assert.deepEqual(seen.violations, [], "no CSP violation");
  assert.deepEqual(seen.errors, [], "no script error");
  assert.ok(seen.cards && seen.cards.length === 5, `one card per family: ${JSON.stringify(seen.cards)}`);
  assert.ok(seen.cards.some(([, count]) => Number(count.replaceAll(",", "")) > 0), "with the recorded milestones");
});

await test("the same page without the nonce is refused: the policy is real", async () => {
  const seen = await visit("/?vite=off");
  assert.equal(seen.script.attribute, null, "no nonce on the script");
  assert.equal(seen.cards, null, "the widget never ran");
  assert.ok(seen.violations.some((v) => v.startsWith("script-src")), `a script-src violation: ${seen.violations}`);
});

await browser.close();
if (failures) {
  console.log(`${failures} browser test(s) failed`);
  process.exit(1);
}
console.log("all CSP browser tests passed");
