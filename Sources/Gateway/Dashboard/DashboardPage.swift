/// The dashboard's one page (`GET /dashboard`): HTML, CSS and script inline, nothing fetched
/// from anywhere but this gateway (operators run air-gapped). The page holds no figures itself:
/// it polls `GET /dashboard/data` every two seconds with the key given in the address's fragment
/// (`/dashboard#key=...`, never sent to the server or its logs) or typed into the page, and
/// draws what the server aggregated. Every figure carries `data-figure` (and `data-value`, the
/// number unrounded) so a test can read the page as a person would see it.
enum DashboardPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchyard dashboard</title>
<link rel="icon" href="data:,">
<style>
:root { --bg:#0f1419; --card:#182029; --line:#2a3542; --text:#e6edf3; --dim:#8b98a5; --accent:#4fb3ff; --good:#3fb950; --bad:#f85149; --warn:#d29922; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--text); font:14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
header { display:flex; align-items:center; gap:16px; padding:12px 20px; border-bottom:1px solid var(--line); }
header h1 { font-size:18px; margin:0; font-weight:600; }
#state { color:var(--dim); font-size:12px; }
#state.bad { color:var(--bad); }
#keyform { margin-left:auto; display:none; gap:6px; }
#keyform input { background:var(--card); border:1px solid var(--line); color:var(--text); padding:4px 8px; border-radius:4px; width:260px; }
main { padding:16px 20px; display:grid; grid-template-columns:repeat(12, 1fr); gap:14px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 14px; min-width:0; }
.card h2 { margin:0 0 8px; font-size:13px; font-weight:600; color:var(--dim); text-transform:uppercase; letter-spacing:.04em; }
.kpi { grid-column:span 2; }
.kpi .v { font-size:24px; font-weight:600; font-variant-numeric:tabular-nums; }
.kpi .s { color:var(--dim); font-size:12px; }
.wide { grid-column:span 8; } .side { grid-column:span 4; } .half { grid-column:span 6; } .full { grid-column:span 12; }
table { width:100%; border-collapse:collapse; font-variant-numeric:tabular-nums; }
th, td { text-align:right; padding:4px 6px; border-bottom:1px solid var(--line); white-space:nowrap; }
th:first-child, td:first-child { text-align:left; }
th { color:var(--dim); font-weight:500; font-size:12px; white-space:normal; vertical-align:bottom; }
svg { width:100%; display:block; }
.legend { display:flex; flex-wrap:wrap; gap:10px; font-size:12px; color:var(--dim); margin-top:6px; }
.legend i { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:4px; vertical-align:-1px; }
.bar { height:6px; background:var(--line); border-radius:3px; overflow:hidden; margin-top:3px; }
.bar > div { height:100%; background:var(--accent); }
.bar.over > div { background:var(--bad); }
a { color:var(--accent); cursor:pointer; text-decoration:none; }
.dim { color:var(--dim); }
.yes { color:var(--warn); }
#explain pre { white-space:pre-wrap; margin:0; font-size:12px; }
@media (max-width: 1100px) { .kpi { grid-column:span 4; } .wide, .side, .half { grid-column:span 12; } }
</style>
</head>
<body>
<header>
  <h1>Switchyard</h1>
  <span id="state">connecting…</span>
  <form id="keyform"><input id="key" type="password" placeholder="API or admin key" autocomplete="off"><button>Open</button></form>
</header>
<main>
  <div class="card kpi"><h2>Answers / s</h2><div class="v" data-figure="answers_per_second">–</div><div class="s">last 10 s</div></div>
  <div class="card kpi"><h2>Answers</h2><div class="v" data-figure="answers_total">–</div><div class="s"><span data-figure="routed_total">–</span> routed</div></div>
  <div class="card kpi"><h2>Spent</h2><div class="v" data-figure="spent_usd">–</div><div class="s">since the gateway started</div></div>
  <div class="card kpi"><h2>Saved vs best</h2><div class="v" data-figure="saved_vs_best">–</div><div class="s" data-figure="always_best_usd">–</div></div>
  <div class="card kpi"><h2>Above cheapest</h2><div class="v" data-figure="above_cheapest">–</div><div class="s" data-figure="always_cheapest_usd">–</div></div>
  <div class="card kpi"><h2>Fallbacks · errors</h2><div class="v"><span data-figure="fallbacks_total">–</span> · <span data-figure="upstream_failures_total">–</span></div><div class="s">answered by a fallback · failed upstream calls</div></div>

  <div class="card wide"><h2>Answers per second by model</h2><svg id="mix" viewBox="0 0 800 220" preserveAspectRatio="none"></svg><div class="legend" id="mixlegend"></div></div>
  <div class="card side"><h2>Exploration today</h2>
    <div class="kpi" style="grid-column:auto"><div class="v" data-figure="exploration_spent_usd">–</div>
    <div class="s">of <span data-figure="exploration_budget_usd">–</span> a day · <span data-figure="exploration_answers">–</span> answers · share <span data-figure="exploration_share">–</span></div>
    <div class="bar" id="explorebar"><div></div></div></div>
    <h2 style="margin-top:16px">Failures and fallbacks per second</h2><svg id="errors" viewBox="0 0 400 90" preserveAspectRatio="none"></svg>
  </div>

  <div class="card half"><h2>Models</h2><table id="models"><thead><tr><th>model</th><th>answers</th><th>share</th><th>cost $</th><th>latency ms p50 · p90</th><th>first token ms p50 · p90</th><th>failures</th></tr></thead><tbody></tbody></table></div>
  <div class="card half"><h2>Quality from feedback (latest 20,000 scores, 24 h)</h2><table id="quality"><thead><tr><th>model</th><th>users: mean</th><th>n</th><th>judge: mean</th><th>n</th></tr></thead><tbody></tbody></table>
    <h2 style="margin-top:14px">Per cluster (users and judge, mean · n)</h2><table id="clusters"><thead></thead><tbody></tbody></table></div>

  <div class="card half"><h2>Router versions</h2><table id="replicas"><thead><tr><th>replica</th><th>version</th><th>loaded</th><th>published</th></tr></thead><tbody></tbody></table>
    <h2 style="margin-top:14px">Published by the learner</h2><table id="versions"><thead><tr><th>version</th><th>published</th><th>scores learned</th></tr></thead><tbody></tbody></table></div>
  <div class="card half"><h2>API keys today</h2><table id="keys"><thead><tr><th>key</th><th>spent $</th><th>budget $</th><th style="width:40%">used</th></tr></thead><tbody></tbody></table></div>

  <div class="card full"><h2>Recent requests</h2><table id="recent"><thead><tr><th>request</th><th>time</th><th>model</th><th>key</th><th>cost $</th><th>latency ms</th><th>explored</th><th>fallbacks</th><th>status</th></tr></thead><tbody></tbody></table></div>
  <div class="card full" id="explain" style="display:none"><h2>Why did <span id="explainid"></span> go there</h2><div id="explainbody"></div></div>
</main>
<script>
"use strict";
const COLORS = ["#4fb3ff","#3fb950","#d29922","#f778ba","#a371f7","#ff7b72","#79c0ff","#56d364","#e3b341","#db61a2"];
let key = sessionStorage.getItem("switchyard-key") || "";
const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get("key")) { key = fragment.get("key"); sessionStorage.setItem("switchyard-key", key); history.replaceState(null, "", location.pathname); }
const $ = (s) => document.querySelector(s);
const usd = (v) => v >= 100 ? "$" + v.toFixed(0) : v >= 1 ? "$" + v.toFixed(2) : "$" + v.toFixed(4);
const num = (v) => Math.round(v).toLocaleString("en-US");
const ms = (v) => v > 0 ? v.toFixed(v < 10 ? 1 : 0) : "–";
const ago = (t) => { const s = Math.max(0, (Date.now() - t) / 1000); return s < 90 ? s.toFixed(0) + " s ago" : s < 5400 ? (s / 60).toFixed(0) + " min ago" : (s / 3600).toFixed(1) + " h ago"; };
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;"}[c]));
function figure(name, value, text) {
  for (const el of document.querySelectorAll('[data-figure="' + name + '"]')) { el.dataset.value = String(value); el.textContent = text; }
}
function headers() { return key ? {"Authorization": "Bearer " + key} : {}; }
function rows(table, html) { $(table + " tbody").innerHTML = html.join("") || '<tr><td class="dim" colspan="9">none yet</td></tr>'; }

function chart(svg, series, stacked, colors, width, height) {
  const n = series.length ? series[0].length : 0;
  if (n < 2) { svg.innerHTML = ""; return; }
  const sums = new Array(n).fill(0);
  let top = 1e-9;
  for (let i = 0; i < n; i++) { let s = 0; for (const line of series) { s = stacked ? s + line[i] : Math.max(s, line[i]); } top = Math.max(top, s); }
  const x = (i) => (i / (n - 1)) * width, y = (v) => height - 4 - (v / top) * (height - 18);
  let out = '<text x="4" y="12" fill="#8b98a5" font-size="11">' + (top >= 10 ? num(top) : top.toFixed(2)) + '/s</text>';
  series.forEach((line, k) => {
    if (stacked) {
      const upper = line.map((v, i) => sums[i] + v);
      let d = "M" + x(0) + "," + y(upper[0]);
      for (let i = 1; i < n; i++) d += "L" + x(i) + "," + y(upper[i]);
      for (let i = n - 1; i >= 0; i--) d += "L" + x(i) + "," + y(sums[i]);
      out += '<path d="' + d + 'Z" fill="' + colors[k % colors.length] + '" fill-opacity="0.75"/>';
      upper.forEach((v, i) => sums[i] = v);
    } else {
      let d = "M" + x(0) + "," + y(line[0]);
      for (let i = 1; i < n; i++) d += "L" + x(i) + "," + y(line[i]);
      out += '<path d="' + d + '" fill="none" stroke="' + colors[k % colors.length] + '" stroke-width="1.5"/>';
    }
  });
  svg.innerHTML = out;
}

function draw(d) {
  const t = d.totals, m = d.money, e = d.exploration, s = d.series;
  const last = s.answers.slice(-10);
  const rate = last.length ? last.reduce((a, b) => a + b, 0) / last.length : 0;
  figure("answers_per_second", rate, rate >= 10 ? num(rate) : rate.toFixed(1));
  figure("answers_total", t.answers, num(t.answers));
  figure("routed_total", t.routed, num(t.routed));
  figure("spent_usd", t.cost_usd, usd(t.cost_usd));
  figure("fallbacks_total", t.fallbacks, num(t.fallbacks));
  figure("upstream_failures_total", t.upstream_failures, num(t.upstream_failures));
  if (m.always_best_usd !== undefined) {
    const saved = m.always_best_usd > 0 ? 1 - m.spent_usd / m.always_best_usd : 0;
    figure("saved_vs_best", saved, (100 * saved).toFixed(1) + "%");
    figure("always_best_usd", m.always_best_usd, "always " + m.best_model + ": " + usd(m.always_best_usd));
  }
  if (m.always_cheapest_usd !== undefined) {
    const above = m.spent_usd - m.always_cheapest_usd;
    figure("above_cheapest", above, usd(Math.max(0, above)));
    figure("always_cheapest_usd", m.always_cheapest_usd, "always " + m.cheapest_model + ": " + usd(m.always_cheapest_usd));
  }
  figure("exploration_spent_usd", e.spent_today_usd, usd(e.spent_today_usd));
  figure("exploration_budget_usd", e.budget_usd, usd(e.budget_usd));
  figure("exploration_answers", e.answers_today, num(e.answers_today));
  figure("exploration_share", e.share, String(e.share));
  $("#explorebar > div").style.width = Math.min(100, e.budget_usd > 0 ? 100 * e.spent_today_usd / e.budget_usd : 0) + "%";

  const names = Object.keys(s.models).sort();
  chart($("#mix"), names.map((n) => s.models[n]), true, COLORS, 800, 220);
  $("#mixlegend").innerHTML = names.map((n, k) => '<span><i style="background:' + COLORS[k % COLORS.length] + '"></i>' + esc(n) + '</span>').join("");
  chart($("#errors"), [s.upstream_failures || [], s.fallbacks || []], false, ["#f85149", "#d29922"], 400, 90);

  const total = d.models.reduce((a, r) => a + r.answers, 0);
  rows("#models", d.models.map((r) => '<tr data-model="' + esc(r.model) + '"><td>' + esc(r.model) + '</td><td data-figure="model_answers:' + esc(r.model) + '" data-value="' + r.answers + '">' + num(r.answers)
    + '</td><td>' + (total ? (100 * r.answers / total).toFixed(1) : "0") + '%</td><td data-figure="model_cost_usd:' + esc(r.model) + '" data-value="' + r.cost_usd + '">' + r.cost_usd.toFixed(4)
    + '</td><td>' + ms(r.latency_p50_ms) + ' · ' + ms(r.latency_p90_ms) + '</td><td>' + ms(r.first_token_p50_ms) + ' · ' + ms(r.first_token_p90_ms)
    + '</td><td data-figure="model_failures:' + esc(r.model) + '" data-value="' + r.failures + '">' + num(r.failures) + '</td></tr>'));

  const q = d.quality;
  const mean = (v) => v === undefined ? "–" : v.toFixed(3);
  rows("#quality", q.by_model.map((r) => '<tr><td>' + esc(r.model) + '</td><td data-figure="quality_user_mean:' + esc(r.model) + '" data-value="' + (r.user_mean ?? "") + '">' + mean(r.user_mean)
    + '</td><td data-figure="quality_user_count:' + esc(r.model) + '" data-value="' + r.user_count + '">' + r.user_count + '</td><td>' + mean(r.judge_mean) + '</td><td>' + r.judge_count + '</td></tr>'));
  const clusterModels = [...new Set(q.by_cluster.flatMap((c) => c.models.map((x) => x.model)))].sort();
  $("#clusters thead").innerHTML = '<tr><th>cluster</th>' + clusterModels.map((n) => '<th>' + esc(n) + '</th>').join("") + '</tr>';
  rows("#clusters", q.by_cluster.slice(0, 40).map((c) => '<tr><td>' + c.cluster + '</td>' + clusterModels.map((n) => {
    const r = c.models.find((x) => x.model === n);
    if (!r) return '<td class="dim">–</td>';
    const count = r.user_count + r.judge_count, sum = (r.user_mean ?? 0) * r.user_count + (r.judge_mean ?? 0) * r.judge_count;
    return '<td>' + (sum / count).toFixed(2) + ' <span class="dim">· ' + count + '</span></td>';
  }).join("") + '</tr>'));

  rows("#replicas", d.routers.replicas.map((r) => '<tr><td>' + esc(r.address) + (r.healthy ? "" : ' <span class="yes">unhealthy</span>') + '</td><td data-figure="replica_version:' + esc(r.address) + '" data-value="' + esc(r.version) + '">'
    + esc(r.version || r.problem || "–") + '</td><td>' + (r.loaded_ms ? ago(r.loaded_ms) : "–") + '</td><td>' + (r.published_ms ? ago(r.published_ms) : '<span class="dim">trained file</span>') + '</td></tr>'));
  rows("#versions", d.routers.versions.slice(0, 8).map((v) => '<tr><td>' + esc(v.version) + '</td><td>' + ago(v.published_ms) + '</td><td>' + num(v.observations) + '</td></tr>'));
  rows("#keys", d.keys.map((k) => {
    const share = k.daily_budget_usd ? k.spent_today_usd / k.daily_budget_usd : 0;
    return '<tr><td>' + esc(k.name) + '</td><td data-figure="key_spent_usd:' + esc(k.name) + '" data-value="' + k.spent_today_usd + '">' + k.spent_today_usd.toFixed(4) + '</td><td>'
      + (k.daily_budget_usd !== undefined ? k.daily_budget_usd.toFixed(2) : '<span class="dim">none</span>') + '</td><td>'
      + (k.daily_budget_usd !== undefined ? '<div class="bar' + (share >= 1 ? " over" : "") + '"><div style="width:' + Math.min(100, 100 * share) + '%"></div></div>' : "") + '</td></tr>';
  }));
  rows("#recent", d.recent.map((r) => '<tr><td><a data-explain="' + esc(r.id) + '">' + esc(r.id) + '</a></td><td>' + ago(r.created_ms) + '</td><td>' + esc(r.model || "–") + '</td><td>' + esc(r.key || "–")
    + '</td><td>' + r.cost_usd.toFixed(6) + '</td><td>' + ms(r.latency_ms) + '</td><td>' + (r.explored ? '<span class="yes">yes</span>' : "no") + '</td><td>' + esc(r.fallbacks.join(", ") || "–")
    + '</td><td>' + (r.status === 0 ? "ok" : '<span class="yes">' + r.status + '</span>') + '</td></tr>'));
  const problems = d.problems.length ? " · " + d.problems.join("; ") : "";
  $("#state").textContent = "live · updated " + new Date(d.generated_ms).toLocaleTimeString() + problems;
  $("#state").className = d.problems.length ? "bad" : "";
  document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
}

async function explain(id) {
  $("#explain").style.display = "";
  $("#explainid").textContent = id;
  const r = await fetch("/v1/decisions/" + encodeURIComponent(id), {headers: headers()});
  const d = await r.json();
  if (!r.ok) { $("#explainbody").innerHTML = '<pre>' + esc(d.error ? d.error.message : r.status) + '</pre>'; return; }
  const cands = d.candidates.map((c) => '<tr><td>' + c.rank + '. ' + esc(c.model) + (c.answered ? " ✔" : "") + '</td><td>' + c.predicted_quality.toFixed(3) + '</td><td>' + c.predicted_cost_usd.toFixed(6)
    + '</td><td>' + c.utility.toFixed(4) + '</td><td>' + (c.tried ? "tried" : "") + '</td></tr>').join("");
  const clusters = (d.clusters || []).map((c) => c.cluster + " (weight " + c.weight.toFixed(2) + ")").join(", ") || "–";
  $("#explainbody").innerHTML = '<table><thead><tr><th>candidate</th><th>predicted quality</th><th>predicted cost $</th><th>utility</th><th></th></tr></thead><tbody>' + cands + '</tbody></table>'
    + '<pre>\nrouter: ' + esc(d.router ? d.router.name + " " + d.router.version + " on " + (d.router.replica || "?") : "none (a named model)")
    + '\ntrade-off: ' + esc(d.tradeoff ? JSON.stringify(d.tradeoff) : "–") + '\nclusters: ' + esc(clusters)
    + '\nfilters: ' + esc(d.filters ? JSON.stringify(d.filters) : "–") + '\nexploration: ' + esc(d.exploration.why || String(d.exploration.explored))
    + '\nfallbacks: ' + esc(d.fallbacks.join("; ") || "none") + '\nanswer: ' + esc(JSON.stringify(d.answer))
    + '\nfeedback: ' + esc(d.feedback.map((f) => f.source + " " + f.score).join(", ") || "none") + '\ntrace: ' + esc(d.trace_id || "–") + '</pre>';
}
document.addEventListener("click", (ev) => { const id = ev.target.dataset && ev.target.dataset.explain; if (id) explain(id); });
$("#keyform").addEventListener("submit", (ev) => { ev.preventDefault(); key = $("#key").value.trim(); sessionStorage.setItem("switchyard-key", key); $("#keyform").style.display = "none"; poll(); });

let timer = null;
async function poll() {
  clearTimeout(timer);
  try {
    const r = await fetch("/dashboard/data", {headers: headers(), cache: "no-store"});
    if (r.status === 401 || r.status === 403) {
      $("#state").textContent = r.status === 401 ? "a key is needed" : "this key may not see the dashboard";
      $("#state").className = "bad";
      $("#keyform").style.display = "flex";
      return;
    }
    if (!r.ok) throw new Error("HTTP " + r.status);
    draw(await r.json());
  } catch (err) {
    $("#state").textContent = "no answer from the gateway (" + err.message + "); retrying";
    $("#state").className = "bad";
  }
  timer = setTimeout(poll, 2000);
}
poll();
</script>
</body>
</html>
"""#
}
