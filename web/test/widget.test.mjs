// The widget in a real browser: headless Chromium from the distribution,
// driven by playwright-core, against the demo page over the running local
// stack. Run by tests/integration/widget.rs (scripts/test), which starts the
// stack and passes:
//   PAGE_URL         the demo page, e.g. http://127.0.0.1:PORT/
//   PLAYWRIGHT_CORE  the installed playwright-core package directory
//   CHROMIUM         the browser executable (/usr/bin/chromium)
//   SCREENSHOT_DIR   where each window's screenshot goes (a build artefact)
//   DOCS_SCREENSHOT  optional: also write the README's docs/widget.png here

import assert from "node:assert/strict";
import path from "node:path";
import { pathToFileURL } from "node:url";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests through scripts/test`);
  return value;
};
const PAGE_URL = env("PAGE_URL");
const { chromium } = await import(pathToFileURL(path.join(env("PLAYWRIGHT_CORE"), "index.mjs")).href);
const SCREENSHOT_DIR = env("SCREENSHOT_DIR");
const WINDOWS = ["24h", "7d", "30d", "90d"];

const browser = await chromium.launch({
  executablePath: env("CHROMIUM"),
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

let failures = 0;
async function test(name, body) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, timezoneId: "Europe/Berlin", locale: "en-GB" });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  try {
    await body(page);
    assert.deepEqual(problems, [], "no script errors on the page");
    console.log(`ok - ${name}`);
  } catch (error) {
    failures += 1;
    console.log(`not ok - ${name}\n${error.stack || error}`);
  } finally {
    await context.close();
  }
}

const widget = (page) => page.locator("adoption-summary");

/** What the widget shows, read from its shadow DOM. */
async function shown(page) {
  // The summary, or an error state: fail at once, with its text, rather than time out.
  // An alert whose Retry is at work (disabled) is not an answer yet.
  await widget(page).locator(".cards, [role=alert]:not(:has(button[disabled]))").first().waitFor();
  const alert = widget(page).locator("[role=alert]");
  if (await alert.count()) {
    throw new Error(`the widget shows an error: ${await alert.first().textContent()}`);
  }
  // What a person sees: the text shown (numbers as formatted for the page's
  // en-GB locale, "2,642"), the text table's cells, and the bars' heights.
  return widget(page).evaluate((host) => {
    const root = host.shadowRoot;
    const number = (text) => Number(text.replaceAll(",", ""));
    const [total, active] = [...root.querySelectorAll(".totals .stat")].map((stat) => ({
      shown: stat.querySelector("strong").textContent,
      caption: stat.textContent.slice(stat.querySelector("strong").textContent.length),
    }));
    return {
      total: number(total.shown),
      totalText: total.shown,
      totalCaption: total.caption,
      activeWorkspaces: number(active.shown),
      activeText: active.shown,
      activeCaption: active.caption,
      cards: [...root.querySelectorAll(".card")].map((card) => ({
        event: card.dataset.event,
        label: card.querySelector("h3").textContent,
        area: card.querySelector(".area").textContent,
        countText: card.querySelector(".count").textContent,
        bars: [...card.querySelectorAll("svg rect")].map((rect) => Number(rect.getAttribute("height"))),
        cells: [...card.querySelectorAll("table tbody tr")].map((tr) => [...tr.cells].map((td) => td.textContent)),
        lastSeen: card.querySelector(".seen time")?.getAttribute("datetime") ?? null,
      })),
      generated: root.querySelector("footer time")?.getAttribute("title") ?? "",
      checked: root.querySelector("input:checked")?.value,
    };
  });
}

/** The summary JSON for the same window, straight from the API. */
async function api(page, key) {
  const response = await page.request.get(new URL(`/summary?window=${key}`, PAGE_URL).href);
  assert.equal(response.status(), 200);
  return response.json();
}

/** How a person reads a feature area: "review_packs" as "Review packs", never the identifier. */
const areaLabel = (area) => area[0].toUpperCase() + area.slice(1).replaceAll("_", " ");

const shownNumber = (n) => n.toLocaleString("en-GB");

function assertMatches(view, summary) {
  assert.equal(view.totalText, shownNumber(summary.total), "the total, as shown");
  assert.equal(view.totalCaption, "milestones");
  assert.equal(view.activeText, shownNumber(summary.active_workspaces), "active workspaces, as shown");
  assert.equal(view.activeCaption, "active workspaces");
  assert.deepEqual(
    view.cards.map((c) => [c.event, c.label, c.area, c.countText, c.lastSeen]),
    summary.families.map((f) => [f.event, f.label, areaLabel(f.feature_area), shownNumber(f.count), f.last_seen_at]),
    "one card per family, in catalog order, with its label, area, count and last seen",
  );
  summary.families.forEach((family, i) => {
    const card = view.cards[i];
    const counts = family.buckets.map((b) => b.count);
    // The text table: one row per bucket, its count cell the bucket's count.
    assert.deepEqual(card.cells.map((row) => row[1]), counts.map(String), `${family.event}: table cells`);
    assert.ok(card.cells.every((row) => row[0].length > 0), `${family.event}: every row names its period`);
    // The bars: one per bucket; an empty bucket is a sliver; the tallest
    // bucket's bar is the tallest; bars above the visual floor are in
    // proportion to their counts.
    assert.equal(card.bars.length, counts.length, `${family.event}: bars`);
    const max = Math.max(...counts);
    const tallest = Math.max(...card.bars);
    counts.forEach((count, b) => {
      const height = card.bars[b];
      if (count === 0) {
        assert.ok(height <= 1, `${family.event}[${b}]: an empty bucket is a sliver (${height})`);
        return;
      }
      if (count === max) assert.equal(height, tallest, `${family.event}[${b}]: the largest is the tallest`);
      const expected = (count / max) * tallest;
      if (expected >= 3) {
        assert.ok(Math.abs(height - expected) < 0.01, `${family.event}[${b}]: ${height} for ${count} of ${max}`);
      } else {
        assert.ok(height >= expected && height <= 3, `${family.event}[${b}]: a small count stays visible`);
      }
    });
  });
}

await test("every window's cards, active workspaces and total equal the summary JSON", async (page) => {
  for (const key of WINDOWS) {
    await page.goto(new URL(`/?window=${key}`, PAGE_URL).href);
    const view = await shown(page);
    assert.equal(view.checked, key);
    const summary = await api(page, key);
    assertMatches(view, summary);
    assert.ok(view.total > 0, `${key}: the demo milestones show at once`);
    assert.ok(view.generated.endsWith("(UTC)"), "generated-at carries UTC on hover");
    await widget(page).screenshot({ path: path.join(SCREENSHOT_DIR, `widget-${key}.png`) });
    if (key === "7d" && process.env.DOCS_SCREENSHOT) {
      await widget(page).screenshot({ path: process.env.DOCS_SCREENSHOT });
    }
  }
});

await test("under Content-Security-Policy: default-src 'self' the widget is styled and nothing is refused", async (page) => {
  const refused = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) refused.push(message.text());
  });
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const response = await page.goto(new URL("/?window=7d", PAGE_URL).href);
  assert.equal(response.headers()["content-security-policy"], "default-src 'self'", "the page is served under the strict policy");
  await shown(page);
  const style = await widget(page).evaluate((host) => {
    const computed = getComputedStyle(host.shadowRoot.querySelector(".panel"));
    return {
      radius: computed.borderTopLeftRadius,
      border: computed.borderTopStyle,
      constructedSheets: host.shadowRoot.adoptedStyleSheets.length,
      inlineStyles: host.shadowRoot.querySelectorAll("style").length,
    };
  });
  assert.deepEqual(style, { radius: "8px", border: "solid", constructedSheets: 1, inlineStyles: 0 }, "styled by a constructed stylesheet");
  assert.deepEqual(await page.evaluate(() => window.__violations), [], "no CSP violation");
  assert.deepEqual(refused, [], "no CSP message in the console");
});

await test("changing the window updates the URL and the numbers", async (page) => {
  await page.goto(new URL("/?window=24h", PAGE_URL).href);
  await shown(page);
  await widget(page).locator("label[for=window-90d]").click();
  await page.waitForURL(/window=90d/);
  await widget(page).locator("input[value='90d']:checked").waitFor({ state: "attached" });
  const view = await shown(page);
  assertMatches(view, await api(page, "90d"));
  // And back: the URL drives the view (a linked or reloaded page shows its window).
  await page.goto(new URL("/?window=24h", PAGE_URL).href);
  await widget(page).locator("input[value='24h']:checked").waitFor({ state: "attached" });
  assertMatches(await shown(page), await api(page, "24h"));
});

await test("the window can be chosen with the keyboard, with a visible focus", async (page) => {
  await page.goto(new URL("/?window=7d", PAGE_URL).href);
  await shown(page);
  // Tab into the selector: focus lands on the checked radio.
  await page.keyboard.press("Tab");
  const focused = await widget(page).evaluate((host) => host.shadowRoot.activeElement?.value);
  assert.equal(focused, "7d");
  const outline = await widget(page).evaluate((host) => {
    const label = host.shadowRoot.querySelector("label[for=window-7d]");
    return getComputedStyle(label).outlineStyle;
  });
  assert.notEqual(outline, "none", "the focused window is visibly outlined");
  await page.keyboard.press("ArrowRight");
  await page.waitForURL(/window=30d/);
  assertMatches(await shown(page), await api(page, "30d"));
});

async function stubbed(page, status, body) {
  await page.route("**/summary?*", (route) =>
    route.fulfill({ status, contentType: "application/json", body: JSON.stringify(body) }),
  );
  await page.goto(new URL("/?window=7d", PAGE_URL).href);
  const alert = widget(page).locator("[role=alert]");
  await alert.waitFor();
  return alert;
}

await test("a 403 from the host's route says the person may not see it, with no Retry", async (page) => {
  const alert = await stubbed(page, 403, { message: "Forbidden" });
  assert.match(await alert.textContent(), /You do not have access/);
  assert.doesNotMatch(await alert.textContent(), /policy/);
  assert.equal(await alert.locator("button").count(), 0);
});

await test("a 502 upstream_forbidden says the server's role lacks the dashboard policy, with no Retry", async (page) => {
  const alert = await stubbed(page, 502, { error: { code: "upstream_forbidden", message: "…" } });
  assert.match(await alert.textContent(), /server's role lacks the dashboard policy \(DashboardSummaryInvokePolicyArn\)/);
  assert.equal(await alert.locator("button").count(), 0);
});

for (const status of [401, 419]) {
  await test(`a ${status} asks to sign in again, with no Retry`, async (page) => {
    const alert = await stubbed(page, status, { message: "Unauthenticated." });
    assert.match(await alert.textContent(), /Sign in again/);
    assert.equal(await alert.locator("button").count(), 0);
  });
}

await test("a 400 names the allowed windows", async (page) => {
  const alert = await stubbed(page, 400, {
    error: { code: "window_exceeds_retention", message: "too long", allowed_windows: ["24h", "7d"] },
  });
  assert.match(await alert.textContent(), /Allowed windows: 24h, 7d/);
  const offered = await widget(page).evaluate((host) => [...host.shadowRoot.querySelectorAll("input")].map((i) => i.value));
  assert.deepEqual(offered, ["24h", "7d"], "only the windows the API allows are offered");
});

await test("a 5xx offers a retry that recovers", async (page) => {
  const alert = await stubbed(page, 500, { error: { code: "internal", message: "internal error" } });
  assert.match(await alert.textContent(), /unavailable/);
  await page.unroute("**/summary?*");
  await alert.locator("button", { hasText: "Retry" }).click();
  assertMatches(await shown(page), await api(page, "7d"));
});

const focused = (page) =>
  widget(page).evaluate((host) => {
    const active = host.shadowRoot.activeElement;
    return active ? `${active.tagName.toLowerCase()}:${active.textContent}` : null;
  });

await test("Retry keeps the focus: on the next Retry while it fails, then on the heading", async (page) => {
  const alert = await stubbed(page, 503, { error: { code: "summary_unavailable", message: "…" } });
  await alert.locator("button", { hasText: "Retry" }).click();
  await widget(page).locator("[role=alert] button:not([disabled])", { hasText: "Retry" }).waitFor();
  assert.equal(await focused(page), "button:Retry", "the failing retry's successor has the focus");
  await page.unroute("**/summary?*");
  await widget(page).locator("[role=alert] button", { hasText: "Retry" }).click();
  await shown(page);
  assert.equal(await focused(page), "h2:Product adoption", "back on the panel's heading");
});

await test("one short status line is announced, and the windows are named in words", async (page) => {
  await page.goto(new URL("/?window=7d", PAGE_URL).href);
  const view = await shown(page);
  const live = await widget(page).evaluate((host) =>
    [...host.shadowRoot.querySelectorAll("[aria-live]")].map((n) => n.textContent),
  );
  assert.equal(live.length, 1, "one live region, not the whole body");
  assert.equal(live[0], `Last 7 days: ${view.total.toLocaleString("en-GB")} milestones, ${view.activeWorkspaces.toLocaleString("en-GB")} active workspaces.`);
  for (const name of ["24 hours", "7 days", "30 days", "90 days"]) {
    assert.equal(await widget(page).getByRole("radio", { name, exact: true }).count(), 1, name);
  }
  await widget(page).locator("label[for=window-30d]").click();
  await page.waitForURL(/window=30d/);
  await shown(page);
  const status = await widget(page).evaluate((host) => host.shadowRoot.querySelector("[aria-live]").textContent);
  assert.match(status, /^Last 30 days: /);
});

await test("a 200 that is not a summary shows an error with Retry, never an endless Loading", async (page) => {
  const alert = await stubbed(page, 200, { families: [{ label: "x", buckets: "nope" }] });
  assert.match(await alert.textContent(), /unavailable/);
  assert.equal(await alert.locator("button", { hasText: "Retry" }).count(), 1);
});

await test("an all-zero window says it is empty", async (page) => {
  const summary = await api(page, "7d");
  const empty = {
    ...summary,
    total: 0,
    active_workspaces: 0,
    families: summary.families.map((f) => ({ ...f, count: 0, last_seen_at: null, buckets: f.buckets.map((b) => ({ ...b, count: 0 })) })),
  };
  await page.route("**/summary?*", (route) => route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(empty) }));
  await page.goto(new URL("/?window=7d", PAGE_URL).href);
  await shown(page);
  assert.match(await widget(page).locator(".state.empty").textContent(), /No milestones/);
});

await test("the page shows no identifier the API does not return", async (page) => {
  await page.goto(new URL("/?window=90d", PAGE_URL).href);
  await shown(page);
  const text = await widget(page).evaluate((host) => host.shadowRoot.textContent);
  for (const forbidden of ["tenant", "ws-", "user-", "actor"]) {
    assert.ok(!text.toLowerCase().includes(forbidden), `no ${forbidden} on the page`);
  }
});

await browser.close();
if (failures) {
  console.log(`${failures} browser test(s) failed`);
  process.exit(1);
}
console.log("all browser tests passed");
