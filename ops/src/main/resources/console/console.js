// insync console: polls this node's management routes and renders them; no framework, no build step.
// Every rendered value carries data-* attributes (data-node, data-flag, data-rule, data-field) so that a test
// can read the page as a person sees it and compare it with the JSON routes (ConsoleIT).
"use strict";

const POLL_MS = 2000;
const HISTORY = 150; // points kept for the charts: 5 minutes at one poll every 2 s
const history = [];

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function cell(field, value) {
  return el("td", { "data-field": field }, value === null || value === undefined ? "–" : value);
}

function num(v, digits) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  return Number(v).toFixed(digits === undefined ? 0 : digits);
}

async function getJson(path) {
  const r = await fetch(path, { headers: { Accept: "application/json" }, cache: "no-store" });
  const text = await r.text();
  let body = null;
  try { body = JSON.parse(text); } catch (e) { /* not JSON: reported below */ }
  if (!r.ok) throw new Error(path + ": HTTP " + r.status + (body && body.message ? ": " + body.message : ""));
  if (body === null) throw new Error(path + ": not JSON");
  return body;
}

/** Every route at once; a route that fails leaves its panel as it was and shows an error line. */
async function poll() {
  const routes = {
    members: "/cluster/members",
    shards: "/insync/shards",
    connections: "/insync/connections",
    stats: "/insync/stats",
    alerts: "/insync/alerts",
    flags: "/insync/flags",
  };
  const names = Object.keys(routes);
  const results = await Promise.allSettled(names.map(n => getJson(routes[n])));
  const data = {};
  const errors = [];
  results.forEach((r, i) => {
    if (r.status === "fulfilled") data[names[i]] = r.value;
    else errors.push(r.reason && r.reason.message ? r.reason.message : String(r.reason));
  });
  renderErrors(errors);
  if (data.members || data.shards || data.connections || data.stats) renderNodes(data);
  if (data.stats) renderStats(data.stats);
  if (data.alerts) renderAlerts(data.alerts);
  if (data.flags) renderFlags(data.flags);
  document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
  if (errors.length === 0) document.body.setAttribute("data-loaded", "true");
}

function renderErrors(errors) {
  const ul = document.getElementById("errors");
  ul.replaceChildren(...errors.map(e => el("li", { "data-error": "" }, e)));
}

let last = {};

function renderNodes(data) {
  last = Object.assign(last, data);
  const members = (last.members && last.members.members) || [];
  const unreachable = new Set(((last.members && last.members.unreachable) || []).map(u => u.node));
  const byNode = new Map();
  const row = node => {
    if (!byNode.has(node)) byNode.set(node, { node });
    return byNode.get(node);
  };
  for (const m of members) {
    const r = row(m.node);
    r.status = m.status;
    r.dc = (m.roles || []).filter(x => x.startsWith("dc-")).map(x => x.substring(3)).join(",") || "–";
    r.unreachable = unreachable.has(m.node);
  }
  for (const n of (last.shards && last.shards.nodes) || []) {
    const r = row(n.node);
    r.version = n.version;
    const u = (n.regions && n.regions.User) || {};
    const g = (n.regions && n.regions.Group) || {};
    r.userShards = u.shards; r.userEntities = u.entities; r.groupShards = g.shards; r.groupEntities = g.entities;
  }
  for (const n of (last.connections && last.connections.nodes) || []) row(n.node).connections = n.connections;
  for (const n of (last.stats && last.stats.nodes) || []) {
    const r = row(n.node);
    r.sends = n.sends_per_s; r.p99 = n.send_p99_ms;
  }
  const tbody = document.querySelector("#nodes tbody");
  const rows = [...byNode.values()].sort((a, b) => a.node.localeCompare(b.node));
  tbody.replaceChildren(...rows.map(r => {
    const tr = el("tr", { "data-node": r.node });
    tr.append(el("td", { "data-field": "node" }, r.node));
    const st = cell("status", r.status === undefined ? "gone" : r.status + (r.unreachable ? " (unreachable)" : ""));
    st.className = r.unreachable ? "unreachable" : "status-" + (r.status || "Removed");
    tr.append(st, cell("dc", r.dc), cell("version", r.version), cell("user-shards", r.userShards),
      cell("user-entities", r.userEntities), cell("group-shards", r.groupShards), cell("group-entities", r.groupEntities),
      cell("connections", r.connections), cell("sends", r.sends === undefined ? null : num(r.sends, 1)),
      cell("p99", r.p99 === undefined ? null : num(r.p99, 1)));
    return tr;
  }));
  const foot = document.querySelector("#nodes tfoot");
  const total = (region, key) => {
    const t = last.shards && last.shards.total && last.shards.total[region];
    return t ? t[key] : null;
  };
  foot.querySelector('[data-field="user-shards"]').textContent = total("User", "shards") ?? "–";
  foot.querySelector('[data-field="user-entities"]').textContent = total("User", "entities") ?? "–";
  foot.querySelector('[data-field="group-shards"]').textContent = total("Group", "shards") ?? "–";
  foot.querySelector('[data-field="group-entities"]').textContent = total("Group", "entities") ?? "–";
  document.getElementById("connections-total").textContent = last.connections ? last.connections.total : "–";
  const c = last.stats && last.stats.cluster;
  foot.querySelector('[data-field="sends"]').textContent = c ? num(c.sends_per_s, 1) : "–";
  foot.querySelector('[data-field="p99"]').textContent = c ? num(c.send_p99_ms, 1) : "–";
  const up = members.filter(m => m.status === "Up").length;
  document.getElementById("cluster-summary").textContent = members.length + " members, " + up + " Up"
    + (unreachable.size ? ", " + unreachable.size + " unreachable" : "") + (last.members && last.members.leader
      ? " · leader " + last.members.leader : "");
  document.getElementById("cluster-summary").setAttribute("data-members", String(members.length));
  document.getElementById("members-note").textContent = last.members ? "this page is served by "
    + last.members.selfNode + "; oldest " + last.members.oldest : "";
}

function renderStats(stats) {
  if (!stats.metrics) {
    document.getElementById("stat-sends").textContent = "metrics off";
    return;
  }
  const c = stats.cluster || {};
  const nodes = stats.nodes || [];
  let p50 = null;
  for (const n of nodes) if (n.send_p50_ms !== null && (p50 === null || n.send_p50_ms > p50)) p50 = n.send_p50_ms;
  history.push({ t: Date.now(), sends: c.sends_per_s, syncs: c.syncs_per_s, errors: c.send_errors_per_s,
    p50: p50, p99: c.send_p99_ms });
  while (history.length > HISTORY) history.shift();
  document.getElementById("stat-sends").textContent = num(c.sends_per_s, 1);
  document.getElementById("stat-syncs").textContent = num(c.syncs_per_s, 1);
  document.getElementById("stat-errors").textContent = num(c.send_errors_per_s, 1);
  document.getElementById("stat-p99").textContent = num(c.send_p99_ms, 1);
  drawChart(document.getElementById("rate-chart"), [["sends", "#2563eb"], ["syncs", "#16a34a"], ["errors", "#dc2626"]]);
  drawChart(document.getElementById("latency-chart"), [["p50", "#0891b2"], ["p99", "#c026d3"]]);
}

/** Lines of {@code series} over the kept history, on a shared y axis from 0 to the largest value. */
function drawChart(canvas, series) {
  const g = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, left = 44, bottom = 18;
  g.clearRect(0, 0, w, h);
  let max = 0;
  for (const p of history) for (const [k] of series) if (p[k] !== null && p[k] > max) max = p[k];
  max = max <= 0 ? 1 : max * 1.15;
  g.strokeStyle = "#e3e7ee"; g.fillStyle = "#7a8394"; g.font = "11px sans-serif"; g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = h - bottom - (h - bottom - 8) * i / 4;
    g.beginPath(); g.moveTo(left, y); g.lineTo(w - 4, y); g.stroke();
    g.fillText(num(max * i / 4, max < 10 ? 1 : 0), 2, y + 4);
  }
  g.fillText((HISTORY * POLL_MS / 60000) + " min", left, h - 4);
  const x = i => left + (w - left - 4) * i / Math.max(1, HISTORY - 1);
  const offset = HISTORY - history.length;
  for (const [k, color] of series) {
    g.strokeStyle = color; g.lineWidth = 2; g.beginPath();
    let started = false;
    history.forEach((p, i) => {
      if (p[k] === null || p[k] === undefined) { started = false; return; }
      const y = h - bottom - (h - bottom - 8) * p[k] / max;
      if (started) g.lineTo(x(offset + i), y); else g.moveTo(x(offset + i), y);
      started = true;
    });
    g.stroke();
  }
}

function renderAlerts(alerts) {
  const ul = document.getElementById("alerts");
  if (alerts.firing === null) {
    ul.replaceChildren(el("li", { class: "muted" }, "the cluster's notifier did not answer: " + alerts.notifier_error));
    return;
  }
  if (alerts.firing.length === 0) {
    ul.replaceChildren(el("li", { class: "muted", "data-none": "" }, "nothing fires"));
    return;
  }
  ul.replaceChildren(...alerts.firing.map(a => {
    const li = el("li", { "data-rule": a.rule, class: a.severity },
      a.rule + " (" + a.severity + ") on " + (a.nodes && a.nodes.length ? a.nodes.join(", ") : a.node) + ": " + a.summary);
    return li;
  }));
}

function renderFlags(flags) {
  const tbody = document.querySelector("#flags tbody");
  const list = flags.flags || [];
  if (list.length === 0) {
    tbody.replaceChildren(el("tr", {}, null));
    tbody.firstChild.append(el("td", { colspan: "7", class: "muted" }, "no flags set: every flag is off"));
    return;
  }
  tbody.replaceChildren(...list.map(f => {
    const tr = el("tr", { "data-flag": f.name });
    const lastChange = f.audit && f.audit.length ? f.audit[0] : null;
    tr.append(cell("name", f.name), cell("step", f.step), cell("percent", f.percent), cell("allow", (f.allow || []).length),
      cell("deny", (f.deny || []).length), cell("guards", (f.guards || []).join(", ") || "–"),
      cell("last-change", lastChange ? new Date(lastChange.at).toISOString() + " by " + lastChange.who + ": "
        + lastChange.from + " → " + lastChange.to : "–"));
    return tr;
  }));
}

async function loop() {
  try {
    await poll();
  } catch (e) {
    renderErrors([String(e)]);
  }
  setTimeout(loop, POLL_MS);
}

loop();
