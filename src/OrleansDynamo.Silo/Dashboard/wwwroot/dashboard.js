// OrleansDynamo dashboard: plain JavaScript, no libraries, no build step. Reads the silo's JSON API
// every refresh and draws the ring (SVG) and the charts (canvas).
(function () {
  "use strict";

  const PALETTE = ["#4aa3ff", "#f0883e", "#a371f7", "#3fb950", "#db61a2", "#e3b341", "#39c5cf", "#ff7b72", "#8b949e", "#7ee787"];
  const $ = (id) => document.getElementById(id);
  const state = {
    refreshMs: 1500,
    tick: 0,
    names: [],
    statuses: {},
    ringVersion: null,
    ring: null,
    partitions: null,
    sort: { key: "partition", descending: false },
    lastOk: null,
  };

  function colorOf(name) {
    const i = state.names.indexOf(name);
    return PALETTE[(i < 0 ? 0 : i) % PALETTE.length];
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  }

  function fmt(n, digits) {
    if (n === null || n === undefined || Number.isNaN(n)) return "–";
    if (digits === undefined) digits = n >= 100 ? 0 : n >= 10 ? 1 : 2;
    return Number(n).toFixed(digits);
  }

  // A silo with API keys configured answers 401 without one: ask for it once (one prompt for the requests
  // refused together) and keep it for this tab only.
  let asking = null;
  function askForKey() {
    asking = asking || Promise.resolve().then(() => {
      const key = window.prompt("This cluster needs an API key (dynamo apikey):");
      if (key) sessionStorage.setItem("dynamo-api-key", key.trim());
      setTimeout(() => { asking = null; }, 0);
      return !!key;
    });
    return asking;
  }

  // A silo that died mid-answer must not leave the page waiting: every request gives up after a few refreshes.
  async function getJson(path) {
    const send = () => {
      const key = sessionStorage.getItem("dynamo-api-key");
      return fetch(path, { cache: "no-store", headers: key ? { "Authorization": "Bearer " + key } : {},
        signal: AbortSignal.timeout(Math.max(5000, 3 * state.refreshMs)) });
    };
    let r = await send();
    if (r.status === 401 && await askForKey()) r = await send();
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(body.error || ("HTTP " + r.status));
    return body;
  }

  // ---- silos -------------------------------------------------------------------------------------
  function renderCluster(c) {
    state.refreshMs = c.pageRefreshMs || state.refreshMs;
    $("cluster-name").textContent = c.clusterName;
    $("self-name").textContent = c.self;
    $("membership-version").textContent = c.membershipVersion;
    state.names = c.silos.map((s) => s.name).sort();
    const tbody = document.querySelector("#silos tbody");
    tbody.replaceChildren(...c.silos.map((s) => {
      state.statuses[s.name] = s.status;
      const balance = s.outOfBalance === null ? "–" : s.outOfBalance ? "off" : "ok";
      const alarm = s.outOfBalance && c.loadBalance.state === "unbalanced";
      const known = (v) => (v === null || v === undefined ? "" : String(v));
      return el("tr", { "data-silo": s.name, "data-silo-status": s.status, "data-load": known(s.loadPerSecond), class: s.isSelf ? "self" : "" },
        el("td", {}, el("span", { class: "swatch", style: "background:" + colorOf(s.name) }), s.name),
        el("td", {}, el("span", { class: "pill pill-" + s.status, "data-status": s.status, text: s.status })),
        el("td", { text: s.zone || "–" }),
        el("td", { text: String(s.partitions) }),
        el("td", { text: String(s.replicas) }),
        el("td", { "data-coordinated": known(s.coordinatedPerSecond), text: fmt(s.coordinatedPerSecond) }),
        el("td", { "data-replica": known(s.replicaPerSecond), text: fmt(s.replicaPerSecond) }),
        el("td", { class: alarm ? "error" : s.outOfBalance ? "warn" : "", title: "load " + fmt(s.loadPerSecond) + " req/s", text: balance }),
        el("td", {}, s.httpAddress
          ? el("a", { href: s.httpAddress.replace(/\/$/, "") + "/", "data-silo-link": s.name, text: s.httpAddress.replace(/^https?:\/\//, "") })
          : el("span", { class: "muted", text: s.address })));
    }));
    const up = c.silos.filter((s) => s.status === "up").length;
    const unreachable = c.silos.filter((s) => s.status === "unreachable").length;
    setCount("silo-count-up", up);
    setCount("silo-count-unreachable", unreachable);
    $("silos-view-note").textContent = "as " + c.self + " sees them";
    // Red only when it is worth an alarm: after a failure, hints draining and a restarted silo move load for a while.
    const b = c.loadBalance;
    const tile = $("out-of-balance");
    tile.textContent = Math.round(b.outOfBalanceFraction * 100) + "%";
    tile.dataset.fraction = String(b.outOfBalanceFraction);
    tile.dataset.state = b.state;
    tile.title = "load more than " + Math.round(b.threshold * 100) + "% off the mean of " +
      fmt(b.meanLoadPerSecond) + " req/s (" + b.silosMeasured + " silos measured)";
    $("out-of-balance-note").textContent = b.state === "recovering" ? "recovering: " + b.reason : b.state === "idle" ? "idle" : "";
    $("out-of-balance-note").title = b.reason || "";
  }

  // ---- processes: uptime, version, CPU, memory, GC of each silo that answered --------------------
  function duration(s) {
    const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60;
    return d > 0 ? d + "d " + h + "h" : h > 0 ? h + "h " + m + "m" : m + "m " + Math.floor(s % 60) + "s";
  }

  function renderProcesses(c) {
    const link = $("orleans-link");
    link.hidden = !c.orleansDashboard;
    if (c.orleansDashboard) link.href = c.orleansDashboard;
    const mib = (b) => fmt(b / 1048576, 0) + " MiB";
    const rows = Object.entries(c.processes || {}).sort(([a], [b]) => a.localeCompare(b));
    document.querySelector("#processes tbody").replaceChildren(...rows.map(([name, p]) => el("tr", { "data-silo": name },
      el("td", {}, el("span", { class: "swatch", style: "background:" + colorOf(name) }), name),
      el("td", { "data-uptime": String(p.uptimeSeconds), text: duration(p.uptimeSeconds) }),
      el("td", { text: p.version }),
      el("td", { "data-cpu": String(p.cpuPercent), text: fmt(p.cpuPercent, 1) }),
      el("td", { text: mib(p.workingSetBytes) }),
      el("td", { text: mib(p.gcHeapBytes) }),
      el("td", { text: p.gen0Collections + " / " + p.gen1Collections + " / " + p.gen2Collections }),
      el("td", { text: fmt(p.gcPauseSeconds, 2) }))));
  }

  function setCount(id, n) {
    $(id).textContent = String(n);
    $(id).dataset.count = String(n);
  }

  // ---- ring --------------------------------------------------------------------------------------
  function arcPath(cx, cy, r0, r1, a0, a1) {
    // an arc whose ends meet (one owner of the whole ring) draws nothing: draw the two halves
    if (a1 - a0 > 1.5 * Math.PI) {
      const mid = (a0 + a1) / 2;
      return arcPath(cx, cy, r0, r1, a0, mid) + " " + arcPath(cx, cy, r0, r1, mid, a1);
    }
    const p = (r, a) => [cx + r * Math.sin(a), cy - r * Math.cos(a)];
    const large = a1 - a0 > Math.PI ? 1 : 0;
    const [x0, y0] = p(r1, a0), [x1, y1] = p(r1, a1), [x2, y2] = p(r0, a1), [x3, y3] = p(r0, a0);
    return `M${x0},${y0} A${r1},${r1} 0 ${large} 1 ${x1},${y1} L${x2},${y2} A${r0},${r0} 0 ${large} 0 ${x3},${y3} Z`;
  }

  function renderRing(ring) {
    const svg = $("ring");
    const ns = "http://www.w3.org/2000/svg";
    const parts = [];
    const q = ring.partitionCount;
    if (ring.owners.length === q && q > 0) {
      let start = 0;
      for (let i = 1; i <= q; i++) {
        if (i < q && ring.owners[i] === ring.owners[start]) continue;
        const owner = ring.silos[ring.owners[start]];
        const path = document.createElementNS(ns, "path");
        const gap = q > 256 ? 0 : 0.002;
        path.setAttribute("d", arcPath(150, 150, 92, 138, (2 * Math.PI * start) / q + gap, (2 * Math.PI * i) / q - gap));
        path.setAttribute("fill", colorOf(owner));
        path.setAttribute("data-owner", owner);
        path.setAttribute("data-first-partition", String(start));
        path.setAttribute("data-last-partition", String(i - 1));
        if (state.statuses[owner] && state.statuses[owner] !== "up") path.setAttribute("opacity", "0.25");
        const title = document.createElementNS(ns, "title");
        title.textContent = `partitions ${start}–${i - 1}: ${owner}`;
        path.append(title);
        parts.push(path);
        start = i;
      }
    }
    const label = document.createElementNS(ns, "text");
    label.setAttribute("x", "150"); label.setAttribute("y", "146"); label.setAttribute("text-anchor", "middle");
    label.setAttribute("fill", "#d7dee7"); label.setAttribute("font-size", "22"); label.setAttribute("font-weight", "600");
    label.textContent = "Q = " + q;
    const sub = document.createElementNS(ns, "text");
    sub.setAttribute("x", "150"); sub.setAttribute("y", "168"); sub.setAttribute("text-anchor", "middle");
    sub.setAttribute("fill", "#7d8998"); sub.setAttribute("font-size", "12");
    sub.textContent = "N = " + ring.n + ", ring v" + ring.version;
    svg.replaceChildren(...parts, label, sub);
    const counts = {};
    for (const o of ring.owners) counts[ring.silos[o]] = (counts[ring.silos[o]] || 0) + 1;
    $("ring-legend").replaceChildren(...Object.keys(counts).sort().map((name) =>
      el("li", { "data-owner": name }, el("span", { class: "swatch", style: "background:" + colorOf(name) }),
        name + " ", el("span", { class: "muted", text: counts[name] + " tokens · " + (state.statuses[name] || "?") }))));
    $("ring-note").textContent = "coloured by owner";
  }

  // ---- charts ------------------------------------------------------------------------------------
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
    const left = 44, right = 8, top = 18, bottom = 18;
    const pw = w - left - right, ph = h - top - bottom;
    let max = 0, len = 0;
    for (const s of series) {
      len = Math.max(len, s.values.length);
      for (const v of s.values) if (v > max) max = v;
    }
    max = niceMax(max || options.minMax || 1);
    g.font = "11px system-ui, sans-serif";
    g.strokeStyle = "#2a323d"; g.fillStyle = "#7d8998"; g.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = top + ph - (ph * i) / 4;
      g.beginPath(); g.moveTo(left, Math.round(y) + 0.5); g.lineTo(w - right, Math.round(y) + 0.5); g.stroke();
      g.fillText(fmtAxis((max * i) / 4), 4, y + 4);
    }
    g.fillText(options.xLabel || "last 60 s", left, h - 4);
    for (const s of series) {
      if (s.values.length < 2) continue;
      g.strokeStyle = s.color; g.lineWidth = 1.8; g.beginPath();
      s.values.forEach((v, i) => {
        const x = left + (pw * i) / (len - 1);
        const y = top + ph - (ph * Math.min(v, max)) / max;
        if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
      });
      g.stroke();
      if (options.fill) {
        g.lineTo(left + pw, top + ph); g.lineTo(left, top + ph); g.closePath();
        g.fillStyle = s.color + "22"; g.fill();
      }
    }
    let lx = left + 4;
    for (const s of series) {
      g.fillStyle = s.color; g.fillRect(lx, 4, 10, 10);
      g.fillStyle = "#d7dee7"; g.fillText(s.name, lx + 14, 13);
      lx += g.measureText(s.name).width + 30;
    }
  }

  function niceMax(v) {
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
    return 10 * p;
  }

  function fmtAxis(v) {
    if (v >= 1000) return (v / 1000).toFixed(v >= 10000 ? 0 : 1) + "k";
    if (v >= 10) return v.toFixed(0);
    if (v >= 1) return v.toFixed(1);
    return v.toFixed(2);
  }

  function renderStats(stats) {
    const c = stats.coordinator;
    $("request-rate").textContent = fmt(stats.currentRatePerSecond, 1);
    $("request-rate").dataset.rate = String(stats.currentRatePerSecond);
    $("request-rate-average").textContent = fmt(c.ratePerSecond, 1) + " over " + stats.windowSeconds + " s";
    $("latency-p50").textContent = fmt(c.p50Ms);
    $("latency-p99").textContent = fmt(c.p99Ms);
    $("latency-p999").textContent = fmt(c.p999Ms);
    const s = stats.series;
    drawChart($("chart-rate"), [{ name: "requests/s", color: "#4aa3ff", values: s.rate }], { fill: true });
    drawChart($("chart-latency"), [
      { name: "p50", color: "#3fb950", values: s.p50Ms },
      { name: "p99", color: "#e3b341", values: s.p99Ms },
      { name: "p99.9", color: "#f85149", values: s.p999Ms },
    ], { minMax: 1 });
    const ops = stats.operations.filter((o) => o.side === "coordinator");
    $("ops").replaceChildren(...ops.map((o) => el("span", { "data-operation": o.operation, "data-rate": String(o.ratePerSecond) },
      o.operation + " ", el("b", { text: fmt(o.ratePerSecond, 1) }), "/s · p99 ", el("b", { text: fmt(o.p99Ms) }), " ms",
      o.errors ? el("span", { class: "error", text: " · " + o.errors + " errors" }) : "")));
    if (stats.missing.length) $("ops").append(el("span", { class: "error", text: "no stats from " + stats.missing.join(", ") }));
    renderVersions(stats.versions);
    renderRepairs(stats.counters, s.events || {});
  }

  function renderVersions(v) {
    const keys = ["1", "2", "3", "4+"];
    const total = keys.reduce((a, k) => a + (v[k] || 0), 0);
    $("versions").replaceChildren(...keys.map((k) => {
      const n = v[k] || 0;
      const pct = total ? (100 * n) / total : 0;
      return el("div", { class: "bar", "data-versions": k, "data-count": String(n) },
        el("span", { text: k }),
        el("div", { class: "bar-track" }, el("div", { class: "bar-fill", style: "width:" + pct.toFixed(2) + "%" })),
        el("span", { class: "muted", text: pct.toFixed(2) + "% (" + n + ")" }));
    }));
  }

  // the same seconds as the request charts, from the silos' own per-second counts
  function renderRepairs(counters, events) {
    const values = (k) => events[k] || [];
    drawChart($("chart-repairs"), [
      { name: "hints stored", color: "#f0883e", values: values("hints_stored") },
      { name: "delivered", color: "#3fb950", values: values("hints_delivered") },
      { name: "read repairs", color: "#a371f7", values: values("read_repairs") },
      { name: "AE keys", color: "#39c5cf", values: values("antientropy_keys_repaired") },
    ], { minMax: 1 });
    $("chart-repairs").dataset.seconds = String(values("hints_stored").length);
    const show = ["hints_stored", "hints_delivered", "hints_dropped", "hints_quarantined", "values_quarantined", "read_repairs", "antientropy_exchanges", "antientropy_keys_repaired", "quorum_failures"];
    $("repair-totals").replaceChildren(...show.map((k) => el("span", { "data-counter": k }, k.replace(/_/g, " ") + " ", el("b", { text: String(counters[k] || 0) }))));
  }

  function renderHints(h) {
    let total = 0;
    const items = [];
    for (const s of h.silos) {
      for (const [target, n] of Object.entries(s.waiting)) {
        total += n;
        items.push(el("span", { "data-hint-holder": s.silo, "data-hint-target": target }, s.silo + " → " + target + " ", el("b", { text: String(n) })));
      }
    }
    setCount("hints-waiting", total);
    $("hints").replaceChildren(...(items.length ? items : [el("span", { text: "none" })]));
  }

  // ---- ring change (ownership transfers, cluster-wide) --------------------------------------------
  function renderTransfers(t) {
    const card = $("ring-change");
    card.dataset.complete = String(t.complete);
    card.hidden = t.complete;
    if (t.complete) return;
    let sent = 0, left = 0, rate = 0;
    const rows = t.silos.map((s) => {
      if (!s.answered) {
        return el("tr", { "data-transfer-silo": s.silo, "data-answered": "false" }, el("td", { text: s.silo }), el("td", { class: "error", colspan: "7", text: "no answer" }));
      }
      sent += s.keysSent; left += s.keysLeft; rate += s.keysPerSecond;
      const eta = s.keysLeft > 0 && s.keysPerSecond > 0 ? "~" + Math.round(s.keysLeft / s.keysPerSecond) + " s" : "–";
      return el("tr", { "data-transfer-silo": s.silo, "data-answered": "true", "data-keys-left": String(s.keysLeft), "data-to-receive": String(s.partitionsToReceive) },
        el("td", {}, el("span", { class: "swatch", style: "background:" + colorOf(s.silo) }), s.silo),
        el("td", { text: s.partitionsToSend + " partitions" }),
        el("td", { text: s.partitionsToReceive + " partitions" }),
        el("td", { text: fmt(s.keysSent) }),
        el("td", { text: "~" + fmt(s.keysLeft) }),
        el("td", { text: fmt(s.keysPerSecond) }),
        el("td", { text: eta }),
        el("td", { class: s.pace < 1 ? "warn" : "", text: Math.round(s.pace * 100) + "%" }));
    });
    document.querySelector("#ring-change-silos tbody").replaceChildren(...rows);
    const done = sent + left > 0 ? sent / (sent + left) : 0;
    $("ring-change-bar").style.width = (100 * done).toFixed(1) + "%";
    $("ring-change-note").textContent = fmt(sent) + " keys sent, ~" + fmt(left) + " left at " + fmt(rate) + " keys/s · " + t.transfers.length + " partition transfer(s) running";
  }

  // ---- partitions --------------------------------------------------------------------------------
  const maxOf = (o) => Object.values(o).reduce((a, b) => Math.max(a, b), 0);
  const SORTS = {
    partition: (r) => r.partition,
    owner: (r) => r.preferenceList.join(" "),
    keys: (r) => maxOf(r.keys),
    bytes: (r) => maxOf(r.bytes),
    exchange: (r) => r.lastExchange || "",
  };

  // the rows the filter lets through (a partition number, or the owner: the first of the preference list), sorted
  function partitionRows(p) {
    const f = $("partitions-filter").value.trim().toLowerCase();
    const rows = !f ? p.partitions.slice() : p.partitions.filter((r) => String(r.partition) === f ||
      (r.preferenceList[0] || "").toLowerCase().includes(f));
    const key = SORTS[state.sort.key], dir = state.sort.descending ? -1 : 1;
    rows.sort((a, b) => { const x = key(a), y = key(b); return (x < y ? -1 : x > y ? 1 : a.partition - b.partition) * dir; });
    return rows;
  }

  function sortBy(ev) {
    const key = ev.target.closest("th[data-sort]")?.dataset.sort;
    if (!key) return;
    state.sort = { key, descending: state.sort.key === key ? !state.sort.descending : key !== "partition" && key !== "owner" };
    document.querySelectorAll("#partitions th[data-sort]").forEach((th) =>
      th.dataset.sort === key ? th.setAttribute("aria-sort", state.sort.descending ? "descending" : "ascending") : th.removeAttribute("aria-sort"));
    if (state.partitions) renderPartitions(state.partitions);
  }

  function renderPartitions(p) {
    state.partitions = p;
    const tbody = document.querySelector("#partitions tbody");
    const chip = (name) => el("span", { class: "swatch", style: "background:" + colorOf(name), title: name });
    const rows = partitionRows(p);
    tbody.replaceChildren(...rows.map((row) => {
      const keys = row.preferenceList.map((s) => (row.keys[s] !== undefined ? row.keys[s] : p.silos.includes(s) ? 0 : "?")).join(" / ");
      const bytes = maxOf(row.bytes);
      return el("tr", { "data-partition": String(row.partition), "data-keys": String(maxOf(row.keys)), "data-owner": row.preferenceList[0] || "" },
        el("td", { text: String(row.partition) }),
        el("td", {}, ...row.preferenceList.flatMap((s) => [chip(s), s + " "])),
        el("td", { class: "muted", text: row.fallbacks.slice(0, 2).join(", ") || "–" }),
        el("td", { text: keys }),
        el("td", { text: bytes >= 1024 ? (bytes / 1024).toFixed(1) + " KiB" : bytes + " B" }),
        el("td", { class: "muted", text: row.lastExchange ? new Date(row.lastExchange).toLocaleTimeString() : "–" }));
    }));
    const totalKeys = p.partitions.reduce((a, r) => a + Math.max(0, ...Object.values(r.keys)), 0);
    $("partitions-note").dataset.totalKeys = String(totalKeys);
    $("partitions-note").dataset.shown = String(rows.length);
    $("partitions-note").textContent = (rows.length < p.partitions.length ? rows.length + " of " : "") + p.partitions.length + " partitions, N = " + p.n + ", ~" + totalKeys + " keys" +
      (p.missing.length ? " · no answer from " + p.missing.join(", ") : "");
  }

  // ---- key lookup --------------------------------------------------------------------------------
  // a lookup has its own address (?bucket=...&key=...): the page opened there looks the key up at once
  function lookupUrl(bucket, key) {
    const q = new URLSearchParams();
    if (bucket) q.set("bucket", bucket);
    q.set("key", key);
    return location.pathname + "?" + q.toString();
  }

  function submitLookup(ev) {
    ev.preventDefault();
    const url = lookupUrl($("key-bucket").value.trim(), $("key-input").value);
    if (location.pathname + location.search !== url) history.pushState(null, "", url);
    lookup();
  }

  function lookupFromUrl() {
    const q = new URLSearchParams(location.search);
    if (!q.has("key")) return;
    $("key-bucket").value = q.get("bucket") || "";
    $("key-input").value = q.get("key");
    lookup();
  }

  async function lookup() {
    const bucket = $("key-bucket").value.trim();
    const key = $("key-input").value;
    const link = $("key-link");
    link.href = lookupUrl(bucket, key);
    link.hidden = false;
    const out = $("key-result");
    out.className = "key-result";
    out.textContent = "looking up…";
    try {
      const k = await getJson("/api/key?bucket=" + encodeURIComponent(bucket) + "&key=" + encodeURIComponent(key));
      out.replaceChildren(
        el("div", { "data-key-partition": String(k.partition) }, "partition ", el("b", { text: String(k.partition) }), " · preference list ",
          ...k.preferenceList.flatMap((s, i) => [el("span", { class: "swatch", style: "background:" + colorOf(s) }), el("b", { text: s }), i < k.preferenceList.length - 1 ? " → " : ""])),
        ...k.replicas.map((r) => el("div", { class: "replica", "data-replica": r.silo, "data-reachable": String(r.reachable), "data-found": String(r.found), "data-siblings": String(r.siblings.length) },
          el("b", { text: r.silo }), " ",
          r.reachable ? el("span", { class: "muted", text: r.found ? r.siblings.length + " sibling(s)" : "not found" }) : el("span", { class: "error", text: "unreachable: " + (r.error || "") }),
          el("div", {}, ...r.siblings.map((s) => el("span", { class: "sib", title: new Date(s.timestampMs).toISOString() },
            s.deleted ? "⟂ tombstone" : (s.base64 ? "base64:" : "") + (s.value.length > 80 ? s.value.slice(0, 80) + "…" : s.value)))))));
    } catch (e) {
      out.className = "key-result error";
      out.textContent = e.message;
    }
  }

  // ---- refresh loop ------------------------------------------------------------------------------
  async function refresh() {
    const slow = state.tick % 3 === 0;
    state.tick++;
    try {
      const [cluster, stats, hints, transfers] = await Promise.all([getJson("/api/cluster"), getJson("/api/stats?scope=cluster"), getJson("/api/hints"), getJson("/api/transfers")]);
      renderTransfers(transfers);
      renderCluster(cluster);
      renderProcesses(cluster);
      if (slow || cluster.membershipVersion !== state.ringVersion || !state.ring) {
        state.ringVersion = cluster.membershipVersion;
        state.ring = await getJson("/api/ring");
      }
      renderRing(state.ring);
      renderStats(stats);
      renderHints(hints);
      if (slow) renderPartitions(await getJson("/api/partitions"));
      connection(null);
      document.body.dataset.ready = "true";
    } catch (e) {
      connection(e);
    }
    setTimeout(refresh, state.refreshMs);
  }

  // A silo that stops answering must not look healthy: a banner over the page, the figures greyed out as of the
  // last answer, and the silos this silo saw up no longer counted (it can no longer tell).
  function connection(error) {
    const conn = $("connection"), banner = $("connection-lost");
    document.body.dataset.connection = error ? "lost" : "live";
    if (!error) {
      state.lastOk = new Date();
      conn.textContent = "live"; conn.className = "pill pill-up"; conn.dataset.connection = "live"; conn.title = "";
      $("last-update").textContent = state.lastOk.toLocaleTimeString();
      $("last-update").dataset.updatedAt = state.lastOk.toISOString();
      banner.hidden = true;
      return;
    }
    conn.textContent = "disconnected"; conn.className = "pill pill-unreachable"; conn.dataset.connection = "error";
    conn.title = error.message;
    const self = $("self-name").textContent;
    banner.textContent = "Lost the connection to " + (self && self !== "…" ? self : location.host) +
      (state.lastOk ? " at " + state.lastOk.toLocaleTimeString() : "") + " (" + error.message + "): the silo may be down. " +
      "What is shown is from then; retrying every " + Math.round(state.refreshMs / 1000 * 10) / 10 + " s. Another silo's dashboard shows the cluster.";
    banner.hidden = false;
    setCount("silo-count-up", "?");
    setCount("silo-count-unreachable", "?");
  }

  $("key-form").addEventListener("submit", submitLookup);
  $("partitions-filter").addEventListener("input", () => state.partitions && renderPartitions(state.partitions));
  document.querySelector("#partitions thead").addEventListener("click", sortBy);
  window.addEventListener("popstate", lookupFromUrl);
  lookupFromUrl();
  refresh();
})();
