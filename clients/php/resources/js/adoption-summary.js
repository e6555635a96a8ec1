// <adoption-summary src="/summary"> — the dashboard face of the ledger's summary API.
//
// One dependency-free ES module, no build step. It renders only what
// GET {src}?window=… returns: aggregate counts per milestone family, the
// active-workspace count and the total. It never renders, asks for or keeps
// an identifier. The window follows the page's `window` URL query parameter,
// so a view can be linked and reloaded.
//
// Attributes:
//   src      the summary endpoint (same origin, or a host-dashboard backend route
//            that proxies the SigV4-signed call; see docs/widget.md)
//   windows  optional: the windows to offer, default "24h,7d,30d,90d"
//   nonce    optional: the page's CSP nonce, used only where constructed
//            stylesheets are missing (they need no inline style, so the widget
//            renders styled under `Content-Security-Policy: default-src 'self'`)

// generated from shared/domain/src/window.rs: windows
const ALL_WINDOWS = ["24h", "7d", "30d", "90d"];
const WINDOW_LABELS = { "24h": "24 hours", "7d": "7 days", "30d": "30 days", "90d": "90 days" };
const DEFAULT_WINDOW = "7d";
// end of generated: windows

const STYLE = `
:host { display: block; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330; }
.panel { border: 1px solid #c9ced8; border-radius: 8px; padding: 16px; background: #fff; }
header { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; justify-content: space-between; }
h2 { font-size: 16px; margin: 0; }
fieldset { border: 0; margin: 0; padding: 0; display: inline-flex; gap: 0; }
legend { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
.window input { position: absolute; opacity: 0; width: 1px; height: 1px; }
.window label { display: inline-block; padding: 4px 10px; border: 1px solid #69748a; margin-left: -1px; cursor: pointer; background: #fff; }
.window label:first-of-type { border-radius: 6px 0 0 6px; margin-left: 0; }
.window label:last-of-type { border-radius: 0 6px 6px 0; }
.window input:checked + label { background: #1d2330; color: #fff; font-weight: 600; text-decoration: underline; }
.window input:focus-visible + label { outline: 3px solid #e08a00; outline-offset: 2px; position: relative; z-index: 1; }
.totals { display: flex; gap: 24px; margin: 12px 0; }
.stat strong { display: block; font-size: 22px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 12px; }
.card { border: 1px solid #dde1e8; border-radius: 6px; padding: 10px; }
.card h3 { font-size: 13px; margin: 0; }
.area { font-size: 12px; color: #4f596b; letter-spacing: .03em; }
.count { font-size: 24px; font-weight: 700; margin: 4px 0; }
.seen { font-size: 12px; color: #4f596b; }
svg { display: block; width: 100%; height: 36px; margin-top: 6px; }
svg rect { fill: #3a5a99; }
svg rect.zero { fill: #c9ced8; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.state { margin: 12px 0; padding: 10px; border-radius: 6px; border: 1px dashed #69748a; }
.state.error { border: 2px solid #a1260d; }
.state strong { display: block; }
button { font: inherit; padding: 4px 12px; margin-top: 6px; border: 1px solid #1d2330; border-radius: 6px; background: #fff; cursor: pointer; }
button:focus-visible { outline: 3px solid #e08a00; outline-offset: 2px; }
footer { margin-top: 12px; font-size: 12px; color: #4f596b; }
`;

/** The window in the page URL, if it is one we offer. */
function windowFromUrl(offered) {
  const value = new URLSearchParams(location.search).get("window");
  return offered.includes(value) ? value : null;
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const integer = new Intl.NumberFormat();

const isTime = (value) => typeof value === "string" && !Number.isNaN(Date.parse(value));
const isCount = (value) => Number.isInteger(value) && value >= 0;

/** The whole shape the widget renders, checked before anything is drawn. */
function isSummary(body) {
  return (
    body !== null &&
    typeof body === "object" &&
    body.window &&
    (body.window.bucket === "hour" || body.window.bucket === "day") &&
    isCount(body.total) &&
    isCount(body.active_workspaces) &&
    isTime(body.generated_at) &&
    Array.isArray(body.families) &&
    body.families.every(
      (f) =>
        f &&
        typeof f.label === "string" &&
        typeof f.feature_area === "string" &&
        isCount(f.count) &&
        (f.last_seen_at === null || isTime(f.last_seen_at)) &&
        Array.isArray(f.buckets) &&
        f.buckets.every((b) => b && isTime(b.start) && isCount(b.count)),
    )
  );
}

function localTime(iso) {
  const date = new Date(iso);
  const node = el("time", { datetime: iso, title: `${date.toISOString().replace(".000Z", "Z")} (UTC)` });
  node.textContent = date.toLocaleString();
  return node;
}

/** A bar chart of the buckets, with a text equivalent for assistive tech. */
function chart(family, bucket) {
  const buckets = family.buckets;
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const width = 100 / buckets.length;
  const unit = bucket === "hour" ? "hourly" : "daily";
  const svgNs = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(svgNs, "svg");
  svg.setAttribute("viewBox", "0 0 100 36");
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("aria-hidden", "true");
  buckets.forEach((b, i) => {
    const height = b.count === 0 ? 1 : Math.max(3, (b.count / max) * 34);
    const rect = document.createElementNS(svgNs, "rect");
    rect.setAttribute("x", String(i * width + width * 0.1));
    rect.setAttribute("width", String(width * 0.8));
    rect.setAttribute("y", String(36 - height));
    rect.setAttribute("height", String(height));
    if (b.count === 0) rect.setAttribute("class", "zero");
    svg.append(rect);
  });
  const format = (iso) =>
    bucket === "hour"
      ? new Date(iso).toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" })
      : new Date(iso).toLocaleDateString([], { month: "short", day: "numeric" });
  const table = el(
    "table",
    { class: "sr-only" },
    el("caption", {}, `${family.label}, ${unit} counts`),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Period starting"), el("th", { scope: "col" }, "Count"))),
    el("tbody", {}, ...buckets.map((b) => el("tr", {}, el("td", {}, format(b.start)), el("td", {}, b.count)))),
  );
  return [svg, table];
}

// A feature area as people read it: "review_packs" is shown as "Review packs".
function areaLabel(area) {
  const words = area.replace(/[_.-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function card(family, bucket) {
  const seen = family.last_seen_at
    ? el("p", { class: "seen" }, "Last seen ", localTime(family.last_seen_at))
    : el("p", { class: "seen" }, "Not seen in this window");
  return el(
    "article",
    { class: "card", "data-event": family.event },
    el("h3", {}, family.label),
    el("p", { class: "area" }, areaLabel(family.feature_area)),
    el("p", { class: "count", "data-count": family.count }, integer.format(family.count)),
    seen,
    ...chart(family, bucket),
  );
}

// One constructed stylesheet for every instance: no inline <style>, so a strict
// Content-Security-Policy (style-src without 'unsafe-inline') allows it.
let sharedSheet = null;

function applyStyle(root, nonce) {
  if ("adoptedStyleSheets" in ShadowRoot.prototype && "replaceSync" in CSSStyleSheet.prototype) {
    if (!sharedSheet) {
      sharedSheet = new CSSStyleSheet();
      sharedSheet.replaceSync(STYLE);
    }
    root.adoptedStyleSheets = [sharedSheet];
  } else {
    // Older browsers: an inline style the page's CSP allows by its nonce.
    root.append(el("style", nonce ? { nonce } : {}, STYLE));
  }
}

class AdoptionSummary extends HTMLElement {
  #root;
  #body;
  // One short, visually hidden status line: what assistive technology
  // announces on a window change (never the whole body, card by card).
  #status;
  // A Retry was pressed: keep focus on the retry path (the next Retry, or
  // the panel's heading once the summary is back).
  #retrying = false;
  #fieldset;
  #request = 0;
  #offered = ALL_WINDOWS;
  #onPopState = () => this.#load(windowFromUrl(this.#offered) || DEFAULT_WINDOW, false);

  connectedCallback() {
    if (this.#root) {
      window.addEventListener("popstate", this.#onPopState);
      return;
    }
    const listed = (this.getAttribute("windows") || "").split(",").map((w) => w.trim());
    const offered = ALL_WINDOWS.filter((w) => listed.includes(w));
    this.#offered = offered.length ? offered : ALL_WINDOWS;
    this.#root = this.attachShadow({ mode: "open" });
    applyStyle(this.#root, this.nonce || this.getAttribute("nonce") || "");
    this.#fieldset = el("fieldset", { class: "window" }, el("legend", {}, "Time window"));
    const panel = el(
      "section",
      { class: "panel", "aria-labelledby": "title" },
      el("header", {}, el("h2", { id: "title", tabindex: "-1" }, "Product adoption"), this.#fieldset),
    );
    this.#status = el("p", { class: "sr-only", role: "status", "aria-live": "polite" });
    this.#body = el("div", {});
    panel.append(this.#status, this.#body);
    this.#root.append(panel);
    this.#renderSelector(this.#offered);
    window.addEventListener("popstate", this.#onPopState);
    this.#load(windowFromUrl(this.#offered) || DEFAULT_WINDOW, false);
  }

  disconnectedCallback() {
    window.removeEventListener("popstate", this.#onPopState);
  }

  get window() {
    return this.#fieldset.querySelector("input:checked")?.value || DEFAULT_WINDOW;
  }

  #renderSelector(windows) {
    const current = this.#fieldset.querySelector("input:checked")?.value;
    this.#fieldset.querySelectorAll("input, label").forEach((n) => n.remove());
    for (const key of windows) {
      const id = `window-${key}`;
      const input = el("input", { type: "radio", name: "window", id, value: key });
      input.checked = key === current;
      input.addEventListener("change", () => this.#load(key, true));
      // Seen as "24h", heard as "24 hours".
      const label = el(
        "label",
        { for: id, title: WINDOW_LABELS[key] },
        el("span", { "aria-hidden": "true" }, key),
        el("span", { class: "sr-only" }, WINDOW_LABELS[key]),
      );
      this.#fieldset.append(input, label);
    }
  }

  #select(key) {
    const input = this.#fieldset.querySelector(`input[value="${key}"]`);
    if (input) input.checked = true;
  }

  async #load(key, pushToUrl) {
    this.#select(key);
    if (pushToUrl) {
      const url = new URL(location.href);
      url.searchParams.set("window", key);
      history.pushState({ window: key }, "", url);
    }
    const request = ++this.#request;
    this.#body.setAttribute("aria-busy", "true");
    this.#status.textContent = `Loading the adoption summary of the last ${WINDOW_LABELS[key] || key}…`;
    const retry = this.#retrying ? this.#body.querySelector(".state.error button") : null;
    if (retry) {
      // Keep the focused Retry in place (disabled) while it works.
      retry.disabled = true;
      retry.textContent = "Retrying…";
    } else {
      this.#body.replaceChildren(el("p", { class: "state loading" }, "Loading adoption summary…"));
    }
    let response;
    let body = null;
    try {
      const src = new URL(this.getAttribute("src") || "/summary", location.href);
      src.searchParams.set("window", key);
      response = await fetch(src, { headers: { accept: "application/json" }, credentials: "same-origin" });
      body = await response.json().catch(() => null);
    } catch {
      response = null;
    }
    if (request !== this.#request) return; // a newer selection won
    this.#body.removeAttribute("aria-busy");
    if (response && response.ok && isSummary(body)) {
      try {
        this.#renderSummary(body);
        return;
      } catch {
        // Falls through to the error state: never stuck on "Loading…".
      }
    }
    // A 200 that is not a summary is shown like a server error, with a Retry.
    const status = response ? (response.ok ? 502 : response.status) : 0;
    this.#renderError(status, body, key);
  }

  #renderSummary(summary) {
    const bucket = summary.window.bucket;
    const nodes = [
      el(
        "div",
        { class: "totals" },
        el("p", { class: "stat" }, el("strong", { "data-total": summary.total }, integer.format(summary.total)), "milestones"),
        el(
          "p",
          { class: "stat" },
          el("strong", { "data-active-workspaces": summary.active_workspaces }, integer.format(summary.active_workspaces)),
          "active workspaces",
        ),
      ),
    ];
    if (summary.total === 0) {
      nodes.push(el("p", { class: "state empty" }, `No milestones in the last ${WINDOW_LABELS[summary.window.key] || summary.window.key}.`));
    }
    nodes.push(el("div", { class: "cards" }, ...summary.families.map((f) => card(f, bucket))));
    nodes.push(el("footer", {}, "Generated ", localTime(summary.generated_at), ` · ${bucket === "hour" ? "hourly" : "daily"} buckets, UTC-aligned`));
    this.#body.replaceChildren(...nodes);
    const span = WINDOW_LABELS[summary.window.key] || summary.window.key;
    this.#status.textContent = `Last ${span}: ${integer.format(summary.total)} milestones, ${integer.format(summary.active_workspaces)} active workspaces.`;
    if (this.#retrying) {
      this.#retrying = false;
      this.#root.getElementById("title")?.focus();
    }
  }

  #renderError(status, body, key) {
    const error = (body && body.error) || {};
    let title;
    let detail;
    let retry = false;
    if (status === 403) {
      title = "You do not have access to the adoption summary.";
      detail = "Ask an administrator for access to this dashboard.";
    } else if (status === 401 || status === 419) {
      title = "Your session has ended.";
      detail = "Sign in again, then reload this page.";
    } else if (status === 502 && error.code === "upstream_forbidden") {
      // The host's route reached AWS, but its server role may not call the summary API.
      title = "The adoption summary is not set up on this server.";
      detail = "The server's role lacks the dashboard policy (DashboardSummaryInvokePolicyArn). Ask an administrator to attach it.";
    } else if (status === 400) {
      const allowed = Array.isArray(error.allowed_windows) ? error.allowed_windows.filter((w) => ALL_WINDOWS.includes(w)) : [];
      title = `The window ${key} is not available.`;
      detail = allowed.length ? `Allowed windows: ${allowed.join(", ")}.` : error.message || "The request was refused.";
      if (allowed.length) {
        this.#offered = allowed;
        this.#renderSelector(allowed);
      }
    } else {
      title = status ? "The adoption summary is unavailable right now." : "The adoption summary could not be reached.";
      detail = status ? `The server answered ${status}. This is usually temporary.` : "Check the connection, then try again.";
      retry = true;
    }
    const box = el("div", { class: "state error", role: "alert", "data-status": status }, el("strong", {}, title), detail);
    let button = null;
    if (retry) {
      button = el("button", { type: "button" }, "Retry");
      button.addEventListener("click", () => {
        this.#retrying = true;
        this.#load(key, false);
      });
      box.append(el("br"), button);
    }
    this.#status.textContent = "";
    this.#body.replaceChildren(box);
    if (this.#retrying) {
      this.#retrying = false;
      // The Retry that was pressed is replaced: its successor takes the focus.
      if (button) button.focus();
    }
  }
}

if (!customElements.get("adoption-summary")) {
  customElements.define("adoption-summary", AdoptionSummary);
}
