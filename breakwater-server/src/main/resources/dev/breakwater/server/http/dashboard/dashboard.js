// Breakwater's live dashboard: reads /api/overview once a second and draws, per pool, its
// connections, transactions per second and latency percentiles on small canvas charts.
// Plain JavaScript, no library, no build step.
"use strict";

const POLL_MS = 1000;
const HISTORY = 900; // points kept per series: fifteen minutes, as the server keeps them
const MIN_SPAN = 30;  // points a chart spans at least
const pools = new Map(); // "db/user" -> {el, history, last}
let previous = null;     // the last overview, for rates
const preloaded = new Map(); // "db/user" -> the server's last 15 minutes (api/history), read at load
let polls = 0;
let firstXacts = null;

function css(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function fmt(n, digits) {
  if (n === null || n === undefined || Number.isNaN(n)) return "–";
  if (digits === undefined) digits = n >= 100 ? 0 : n >= 10 ? 1 : 2;
  return Number(n).toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

// "3 tcp · 1 http · 1 ws": the kinds of client there are (tcp, unix, http, ws), or "" when none.
function kinds(byKind) {
  if (!byKind) return "";
  return Object.entries(byKind).filter(([, n]) => n > 0).map(([k, n]) => fmt(n, 0) + " " + k).join(" · ");
}

function duration(ms) {
  return ms < 1000 ? fmt(ms, 0) + " ms" : fmt(ms / 1000, 1) + " s";
}

function el(tag, attrs, children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children || []) e.appendChild(c);
  return e;
}

// ---- charts ----

// Draws series of numbers (oldest first) on a canvas: grid, y labels, lines.
function drawChart(canvas, series, options) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const g = canvas.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  let max = options.min || 1;
  for (const s of series) for (const v of s.values) if (v !== null && v > max) max = v;
  max = niceCeiling(max);
  const left = 38, right = 6, top = 6, bottom = 14;
  const pw = w - left - right, ph = h - top - bottom;
  g.font = "10px system-ui, sans-serif";
  g.fillStyle = css("--muted");
  g.strokeStyle = css("--line");
  g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = top + ph - (ph * i) / 4;
    g.beginPath(); g.moveTo(left, y + 0.5); g.lineTo(w - right, y + 0.5); g.stroke();
    g.textAlign = "right"; g.textBaseline = "middle";
    g.fillText(fmt((max * i) / 4), left - 4, y);
  }
  g.textAlign = "left"; g.textBaseline = "alphabetic";
  g.fillText(options.unit || "", left, h - 2);
  g.textAlign = "right";
  g.fillText("now", w - right, h - 2);
  for (const s of series) {
    g.strokeStyle = s.color;
    g.lineWidth = s.width || 1.6;
    g.setLineDash(s.dash || []);
    g.beginPath();
    let started = false;
    // The chart spans at least MIN_SPAN points, so a young page is not squeezed to the right.
    const span = Math.max(MIN_SPAN, s.values.length);
    s.values.forEach((v, i) => {
      if (v === null || v === undefined || Number.isNaN(v)) { started = false; return; }
      const x = left + (pw * (i + span - s.values.length)) / (span - 1);
      const y = top + ph - (ph * Math.min(v, max)) / max;
      if (started) g.lineTo(x, y); else { g.moveTo(x, y); started = true; }
    });
    g.stroke();
  }
  g.setLineDash([]);
}

function niceCeiling(v) {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function legend(items) {
  return el("div", { class: "legend" }, items.map(([label, color, dashed]) =>
    el("span", {}, [el("i", { style: "background:" + color + (dashed ? ";opacity:.6" : "") }), document.createTextNode(label)])));
}

// ---- one pool's card ----

function poolCard(key, p) {
  const number = (cls, label) => el("div", { class: "number " + cls }, [el("b", { class: "v", text: "–" }), el("span", { text: label })]);
  const card = el("section", { class: "panel pool", "data-pool": key }, [
    el("div", { class: "pool-title" }, [
      el("h2", { text: p.database + " / " + p.user }),
      el("span", { class: "muted mode" }),
    ]),
    el("div", { class: "numbers" }, [
      number("cl-active", "clients active"),
      number("cl-waiting", "clients waiting"),
      number("sv-active", "servers active"),
      number("sv-idle", "servers idle"),
      number("tps", "xacts/s"),
      number("qps", "queries/s"),
      number("wait-p95", "wait p95 ms"),
      number("query-p95", "query p95 ms"),
    ]),
    el("div", { class: "muted kinds", title: "clients by kind: tcp and unix (PostgreSQL port), http (POST /sql), ws (WebSocket /v2)" }),
    el("h3", { text: "Connections" }),
    el("canvas", { class: "connections", role: "img", "aria-label": "connections over time" }),
    legend([["clients active", css("--active")], ["clients waiting", css("--waiting")],
            ["servers active", css("--tps")], ["servers idle", css("--idle")], ["pool size", css("--size"), true]]),
    el("h3", { text: "Transactions and queries per second" }),
    el("canvas", { class: "rates", role: "img", "aria-label": "transactions per second" }),
    legend([["xacts/s", css("--tps")], ["queries/s", css("--active")]]),
    el("h3", { text: "Latency, last 10 s (ms)" }),
    el("canvas", { class: "latency", role: "img", "aria-label": "latency percentiles" }),
    legend([["wait p95", css("--wait")], ["query p50", css("--p50")], ["query p95", css("--p95")], ["query p99", css("--p99"), true]]),
  ]);
  const history = {};
  for (const k of ["clActive", "clWaiting", "svActive", "svIdle", "size", "tps", "qps", "waitP95", "queryP50", "queryP95", "queryP99"]) history[k] = [];
  // What the server kept before this page opened: the charts start with it.
  const kept = preloaded.get(key);
  if (kept) {
    const names = { clActive: "cl_active", clWaiting: "cl_waiting", svActive: "sv_active", svIdle: "sv_idle",
      size: "pool_size", tps: "tps", qps: "qps", waitP95: "wait_p95", queryP50: "query_p50", queryP95: "query_p95",
      queryP99: "query_p99" };
    for (const [k, n] of Object.entries(names)) history[k] = (kept[n] || []).slice(-HISTORY);
    card.dataset.historyPoints = String(history.clActive.length);
    preloaded.delete(key);
  }
  return { el: card, history };
}

function push(list, v) {
  list.push(v);
  if (list.length > HISTORY) list.shift();
}

function setNumber(card, cls, value, digits) {
  card.querySelector(".number." + cls + " .v").textContent = fmt(value, digits);
}

function updatePool(state, p, seconds, before) {
  const h = state.history;
  const tps = before && seconds > 0 ? Math.max(0, (p.xacts - before.xacts) / seconds) : null;
  const qps = before && seconds > 0 ? Math.max(0, (p.queries - before.queries) / seconds) : null;
  push(h.clActive, p.cl_active); push(h.clWaiting, p.cl_waiting);
  push(h.svActive, p.sv_active); push(h.svIdle, p.sv_idle); push(h.size, p.pool_size);
  push(h.tps, tps); push(h.qps, qps);
  push(h.waitP95, p.wait_ms.p95); push(h.queryP50, p.query_ms.p50);
  push(h.queryP95, p.query_ms.p95); push(h.queryP99, p.query_ms.p99);

  const card = state.el;
  card.querySelector(".mode").textContent = p.mode + " mode · pool_size " + (p.pool_size === null ? "unlimited" : p.pool_size)
    + (p.paused ? " · PAUSED" : "") + (p.unreachable ? " · database unreachable" : "");
  setNumber(card, "cl-active", p.cl_active + p.cl_idle, 0);
  setNumber(card, "cl-waiting", p.cl_waiting, 0);
  card.querySelector(".number.cl-waiting").classList.toggle("alert", p.cl_waiting > 0);
  setNumber(card, "sv-active", p.sv_active, 0);
  setNumber(card, "sv-idle", p.sv_idle, 0);
  setNumber(card, "tps", tps);
  setNumber(card, "qps", qps);
  setNumber(card, "wait-p95", p.wait_ms.p95);
  setNumber(card, "query-p95", p.query_ms.p95);
  const k = kinds(p.clients_by_kind);
  card.querySelector(".kinds").textContent = k ? "clients: " + k : "";

  drawChart(card.querySelector("canvas.connections"), [
    { values: h.size, color: css("--size"), dash: [4, 3], width: 1 },
    { values: h.svIdle, color: css("--idle") },
    { values: h.svActive, color: css("--tps") },
    { values: h.clActive, color: css("--active") },
    { values: h.clWaiting, color: css("--waiting") },
  ], { unit: "connections", min: 4 });
  drawChart(card.querySelector("canvas.rates"), [
    { values: h.qps, color: css("--active") },
    { values: h.tps, color: css("--tps"), width: 2 },
  ], { unit: "per second", min: 1 });
  drawChart(card.querySelector("canvas.latency"), [
    { values: h.queryP99, color: css("--p99"), dash: [3, 3] },
    { values: h.queryP95, color: css("--p95") },
    { values: h.queryP50, color: css("--p50") },
    { values: h.waitP95, color: css("--wait"), width: 2 },
  ], { unit: "ms", min: 1 });
}

// ---- the page ----

function render(o) {
  const seconds = previous ? (o.time - previous.time) / 1000 : 0;
  const status = document.getElementById("status");
  status.textContent = o.status;
  status.className = "pill " + o.status;
  document.getElementById("clients").textContent = fmt(o.clients, 0);
  const k = kinds(o.clients_by_kind);
  document.getElementById("client-kinds").textContent = k ? "(" + k + ")" : "";
  document.getElementById("updated").textContent = "updated " + new Date(o.time).toLocaleTimeString();

  let xacts = 0, beforeXacts = 0;
  const seen = new Set();
  const main = document.getElementById("pools");
  for (const p of o.pools) {
    const key = p.database + "/" + p.user;
    seen.add(key);
    let state = pools.get(key);
    if (!state) {
      state = poolCard(key, p);
      pools.set(key, state);
      main.appendChild(state.el);
    }
    const before = previous && previous.pools.find(q => q.database === p.database && q.user === p.user);
    updatePool(state, p, seconds, before);
    xacts += p.xacts;
    if (before) beforeXacts += before.xacts;
  }
  for (const [key, state] of pools) {
    if (!seen.has(key)) { state.el.remove(); pools.delete(key); }
  }
  if (o.pools.length === 0 && !main.querySelector(".empty")) {
    main.appendChild(el("p", { class: "muted empty", text: "No pool yet: pools appear when the first client of a database logs in." }));
  } else if (o.pools.length > 0) {
    const empty = main.querySelector(".empty");
    if (empty) empty.remove();
  }
  document.getElementById("total-xacts").textContent = fmt(xacts, 0);
  document.getElementById("total-tps").textContent = previous && seconds > 0 ? fmt(Math.max(0, (xacts - beforeXacts) / seconds)) : "–";

  const alerts = document.getElementById("alerts");
  alerts.hidden = o.alerts.length === 0;
  alerts.replaceChildren(...o.alerts.map(a => el("div", {}, [
    el("b", { text: a.alert + " " }),
    document.createTextNode(a.database + "/" + a.user + ": " + a.message + " — " + a.action),
  ])));

  const body = document.querySelector("#waiting tbody");
  body.replaceChildren(...o.waiting.map(w => el("tr", {}, [
    el("td", { text: "C-" + w.id }), el("td", { text: w.database }), el("td", { text: w.user }),
    el("td", { class: "addr", text: w.addr }), el("td", { class: "kind", text: w.kind || "" }),
    el("td", { class: "num", text: duration(w.wait_ms) }),
  ])));
  document.getElementById("no-waiting").hidden = o.waiting.length > 0;
  document.getElementById("waiting-total").textContent = o.waiting_total > o.waiting.length ? "(" + o.waiting_total + " in all)" : "";

  polls++;
  if (firstXacts === null) firstXacts = xacts;
  document.body.dataset.polls = String(polls);
  document.body.dataset.firstXacts = String(firstXacts);
  document.body.dataset.lastXacts = String(xacts);
  previous = o;
}

// With http_auth_token_file set, the page is opened as /#token=TOKEN: the fragment never leaves the
// browser; the token is kept for this tab only (sessionStorage) and taken out of the address bar.
const TOKEN = (() => {
  const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem("breakwater.token", decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem("breakwater.token");
})();

async function poll() {
  try {
    const headers = TOKEN ? { Authorization: "Bearer " + TOKEN } : {};
    const r = await fetch("api/overview", { cache: "no-store", headers });
    if (r.status === 401) {
      const status = document.getElementById("status");
      status.textContent = "token needed: open /#token=…";
      status.className = "pill unhealthy";
      return;
    }
    if (!r.ok) throw new Error("HTTP " + r.status);
    render(await r.json());
  } catch (e) {
    const status = document.getElementById("status");
    status.textContent = "no answer";
    status.className = "pill unhealthy";
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

// The server's last 15 minutes, once, before the first poll; the page works without them.
async function loadHistory() {
  try {
    const headers = TOKEN ? { Authorization: "Bearer " + TOKEN } : {};
    const r = await fetch("api/history", { cache: "no-store", headers });
    if (!r.ok) return;
    const h = await r.json();
    for (const p of h.pools) preloaded.set(p.database + "/" + p.user, p);
  } catch (e) {
    // no history: the charts start now
  }
}

loadHistory().finally(poll);
