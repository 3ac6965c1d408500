// The report page: figures, tables, the accountability map (d3's force layout,
// zoom and quadtree search, drawn on a canvas so thousands of parties stay
// smooth), the money trail, and the page's own proof of the payments it lists
// (verify.js). Everything shown comes from the embedded data; text from the
// ledger is set as text, never parsed as HTML.
"use strict";
(() => {
  const D = JSON.parse(document.getElementById("ft-data").textContent);
  const S = D.summary;
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  }

  // ---- amounts: integer minor units, shown with the ledger's exponent ----
  const exp = D.exponent;
  function grouped(minor) {
    const neg = minor < 0;
    let a = Math.abs(minor);
    const unit = 10 ** exp;
    const whole = Math.floor(a / unit).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    const frac = exp > 0 ? "." + String(a % unit).padStart(exp, "0") : "";
    return (neg ? "−" : "") + whole + frac;
  }
  const money = (minor) => `${D.currency} ${grouped(minor)}`;
  const dateText = (d) => (d ? `${String(d).slice(0, 4)}-${String(d).slice(4, 6)}-${String(d).slice(6, 8)}` : "");

  // ---- parties and the graph's adjacency ----
  const nodes = D.graph.nodes.map((n, i) => ({ ...n, i }));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const partyRow = new Map(D.parties.map((p) => [p.id, p]));
  const inEdges = nodes.map(() => []), outEdges = nodes.map(() => []);
  const links = [
    ...D.graph.funding.map(([s, t, amount, mechanisms]) => ({ type: "funding", s, t, source: s, target: t, amount, mechanisms: mechanisms.split(",") })),
    ...D.graph.lines.map(([s, t, kind, subject, recorded]) => ({ type: "responsibility", s, t, source: s, target: t, kind, subject, recorded })),
  ];
  for (const l of links) {
    outEdges[l.s].push(l);
    inEdges[l.t].push(l);
  }
  const nameOf = (id) => {
    const n = byId.get(id);
    return n && n.name && n.name !== id ? `${n.name} (${id})` : id;
  };
  const partyLink = (id) => el("a", { href: `#party-${id}`, onclick: (ev) => { ev.preventDefault(); showParty(id, true); } }, nameOf(id));

  // ---- header ----
  $("title").textContent = `Where the money went: ${D.origin}`;
  $("subtitle").textContent = `${D.records.toLocaleString("en-GB")} records, ${D.as_of ? "as of " + D.as_of : "all records"}; amounts in ${D.currency}.`;
  document.title = `Where the money went: ${D.origin}`;

  // ---- headline figures: the numbers of `fundtrail map summary --json` ----
  function figure(label, minor, id, note) {
    return el("div", { class: "figure", id, "data-minor": minor }, el("div", { class: "label" }, label), el("div", { class: "value" }, el("span", { class: "cur" }, D.currency), grouped(minor)), note ? el("div", { class: "note" }, note) : null);
  }
  const prefinanced = (S.prefinancing || []).reduce((a, p) => a + p.prefinanced_minor, 0);
  const outstanding = (S.prefinancing || []).reduce((a, p) => a + p.outstanding_minor, 0);
  $("figures").append(
    figure("Money in", S.money_in_minor, "fig-money-in", "paid in by funders and commissioners"),
    ...Object.entries(S.where_it_is || {}).map(([group, v]) => figure(`Now ${group}`, v.amount_minor, null, null)),
    figure("Management fees", S.management_fees_minor, "fig-fees", "kept by integrators as fees"),
    figure("Pre-financed", prefinanced, "fig-prefinanced", `integrators' own money paid out; ${money(outstanding)} not yet recovered`),
  );
  $("where-note").textContent = "Where the money sits adds up to the money in. An integrator's own money (pre-financing, loans) moves balances, not the total.";

  // ---- what looks wrong ----
  const findings = $("findings");
  if (!(S.findings || []).length) findings.append(el("li", {}, "Nothing the checks look for was found."));
  for (const f of S.findings || []) {
    findings.append(el("li", {}, el("span", { class: "type" }, `${f.type}: `), f.text, " ", (f.parties || []).length ? el("span", { class: "note" }, "— ", ...f.parties.slice(0, 8).flatMap((p, k) => [k ? ", " : "", partyLink(p)]), f.parties.length > 8 ? ` and ${f.parties.length - 8} more` : "") : null));
  }
  for (const g of D.gaps.filter((g) => g.seq)) {
    const listed = D.payments.some((p) => p.seq === g.seq);
    findings.append(el("li", {}, el("span", { class: "type" }, `${g.type}: `), `${nameOf(g.other)} paid ${nameOf(g.party)} ${money(g.amount)} — `, listed ? el("a", { href: `#pay-${g.seq}` }, `record ${g.seq}`) : `record ${g.seq}`, g.detail ? ` (${g.detail})` : ""));
  }

  // ---- who answers ----
  const services = $("services-list");
  if (!(S.services || []).length) services.append(el("p", {}, "No responsibility lines are recorded."));
  for (const s of S.services || []) {
    services.append(el("div", { class: "service" }, el("h3", {}, s.subject),
      el("p", {}, "Delivered by ", ...(s.delivered_by || []).slice(0, 12).flatMap((p, k) => [k ? ", " : "", partyLink(p)]), (s.delivered_by || []).length > 12 ? ` and ${s.delivered_by.length - 12} more` : ""),
      el("p", {}, "Answerable: ", (s.answerable || []).join("; ") || "no one recorded"),
      (s.implicit || []).length ? el("p", { class: "note" }, `${s.implicit.length} ${s.implicit.length === 1 ? "party answers" : "parties answer"} only by an unrecorded line to the commissioner.`) : null));
  }

  // ---- sortable, searchable tables (keyboard: each header is a button) ----
  function table(tableEl, columns, rows, rowId, searchInput, countEl, noun) {
    let sortKey = null, dir = 1, limit = 300;
    const thead = el("thead"), tbody = el("tbody");
    const headRow = el("tr");
    for (const c of columns) {
      const th = el("th", { scope: "col", class: c.num ? "num" : null, "aria-sort": "none" });
      th.append(el("button", { type: "button", onclick: () => { dir = sortKey === c.key ? -dir : c.num ? -1 : 1; sortKey = c.key; for (const h of headRow.children) h.setAttribute("aria-sort", "none"); th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending"); render(); } }, c.label));
      headRow.append(th);
    }
    thead.append(headRow);
    tableEl.append(el("caption", { class: "note" }, `${rows.length.toLocaleString("en-GB")} ${noun}`), thead, tbody);
    const made = new Map();
    const make = (r) => {
      if (!made.has(r)) made.set(r, el("tr", { id: rowId(r) }, columns.map((c) => el(c.head ? "th" : "td", { class: c.num ? "num" : null, scope: c.head ? "row" : null }, c.cell(r)))));
      return made.get(r);
    };
    function render() {
      const q = searchInput ? searchInput.value.trim().toLowerCase() : "";
      let shown = q ? rows.filter((r) => columns.some((c) => c.search && String(c.search(r)).toLowerCase().includes(q))) : rows.slice();
      if (sortKey) {
        const c = columns.find((c) => c.key === sortKey);
        shown.sort((a, b) => { const x = c.value(a), y = c.value(b); return (x < y ? -1 : x > y ? 1 : 0) * dir; });
      }
      // The first rows at once, the rest on request: 5,000 rows of DOM would
      // cost the page its first seconds. Search covers every row.
      const frag = document.createDocumentFragment();
      shown.slice(0, limit).forEach((r, k) => { const tr = make(r); tr.classList.toggle("extra", k >= 25); frag.append(tr); });
      if (shown.length > limit)
        frag.append(el("tr", { class: "extra" }, el("td", { colspan: columns.length }, el("button", { type: "button", onclick: () => { limit = Infinity; render(); } }, `Show all ${shown.length.toLocaleString("en-GB")} (${(shown.length - limit).toLocaleString("en-GB")} more)`))));
      tbody.replaceChildren(frag);
      if (countEl) countEl.textContent = q ? `${shown.length} of ${rows.length} shown` : "";
    }
    if (searchInput) searchInput.addEventListener("input", render);
    render();
  }

  const partiesByMoney = D.parties.slice().sort((a, b) => b.received + b.paid - (a.received + a.paid) || (a.id < b.id ? -1 : 1));
  table($("party-table"), [
    { key: "name", label: "Party", head: true, value: (p) => p.name || p.id, search: (p) => `${p.name} ${p.id}`, cell: (p) => [el("a", { href: "#map-section", onclick: () => showParty(p.id, false) }, p.name || p.id), p.name && p.name !== p.id ? el("span", { class: "note" }, ` ${p.id}`) : null] },
    { key: "kind", label: "Kind", value: (p) => p.kind, search: (p) => p.kind, cell: (p) => p.kind },
    { key: "status", label: "Status", value: (p) => p.status, search: (p) => `${p.status}${p.gap ? " gap" : ""}`, cell: (p) => [p.failed ? el("span", { class: "fail" }, `✗ ${p.status}`) : p.status, p.gap ? el("span", { class: "note" }, " · gap") : null] },
    { key: "received", label: "Received", num: true, value: (p) => p.received, cell: (p) => grouped(p.received) },
    { key: "paid", label: "Paid", num: true, value: (p) => p.paid, cell: (p) => grouped(p.paid) },
    { key: "balance", label: "Balance", num: true, value: (p) => p.balance, cell: (p) => grouped(p.balance) },
  ], partiesByMoney, (p) => `party-${p.id}`, $("party-search"), $("party-count"), "parties, most money first");

  table($("contract-table"), [
    { key: "reference", label: "Contract", head: true, value: (c) => c.reference, search: (c) => `${c.reference} ${c.subject}`, cell: (c) => [c.reference, el("span", { class: "note" }, ` ${c.subject}`)] },
    { key: "payer", label: "Payer", value: (c) => c.payer, search: (c) => c.payer, cell: (c) => partyLink(c.payer) },
    { key: "payee", label: "Payee", value: (c) => c.payee, search: (c) => c.payee, cell: (c) => partyLink(c.payee) },
    { key: "cap", label: "Cap", num: true, value: (c) => c.cap, cell: (c) => (c.cap ? grouped(c.cap) : "none") },
    { key: "paid", label: "Paid", num: true, value: (c) => c.paid, cell: (c) => grouped(c.paid) },
    { key: "on_outcomes", label: "Of which on outcomes", num: true, value: (c) => c.on_outcomes, cell: (c) => `${grouped(c.on_outcomes)}${c.paid ? ` (${Math.round((1000 * c.on_outcomes) / c.paid) / 10}%)` : ""}` },
    { key: "model", label: "Model", value: (c) => c.model, search: (c) => `${c.model} ${c.ended ? "ended" : ""}`, cell: (c) => `${c.model || "—"}${c.ended ? ", ended" : ""}` },
  ], D.contracts, (c) => `contract-${c.seq}`, $("contract-search"), $("contract-count"), "contracts");

  // ---- payments and their proofs ----
  const proofCells = new Map();
  table($("payment-table"), [
    { key: "seq", label: "Record", head: true, value: (p) => p.seq, cell: (p) => String(p.seq) },
    { key: "from", label: "From", value: (p) => p.from, cell: (p) => partyLink(p.from) },
    { key: "to", label: "To", value: (p) => p.to, cell: (p) => partyLink(p.to) },
    { key: "amount", label: "Amount", num: true, value: (p) => p.amount_minor, cell: (p) => grouped(p.amount_minor) },
    { key: "date", label: "Value date", value: (p) => p.date, cell: (p) => dateText(p.date) },
    { key: "mechanism", label: "How", value: (p) => p.mechanism, cell: (p) => p.mechanism },
    { key: "proof", label: "Proof", value: (p) => p.seq, cell: (p) => { const c = el("span", { class: "unproved", "data-status": "checking" }, p.proof ? "checking…" : "not in the checkpoint: not proved"); if (!p.proof) c.dataset.status = "unproved"; proofCells.set(p.seq, c); return c; } },
  ], D.payments, (p) => `pay-${p.seq}`, null, null,
    D.payments_total > D.payments.length
      ? `of ${D.payments_total.toLocaleString("en-GB")} payments: those what looks wrong names, then the largest`
      : "payments: those what looks wrong names, then the largest");
  $("payments-note").textContent = "Each row is read from the record's own signed bytes on this page and checked against the log's signed checkpoint.";

  async function prove() {
    const out = { checkpoint: null, rows: [], money_in_minor: S.money_in_minor };
    const status = $("proof-status");
    const v = D.proof.verifier;
    $("verifier-status").textContent = v ? `fundtrail-verify, run over the same ${v.records} records and checkpoint when this page was made: ${v.result_text}.` : `fundtrail-verify was not run when this page was made${D.proof.verifier_note ? `: ${D.proof.verifier_note}` : ""}.`;
    if (!D.proof.checkpoint) {
      status.textContent = "No checkpoint: the ledger has issued none, so this page proves nothing about its records. Ask its operator to publish one (fundtrail checkpoint) and make the page again.";
      out.checkpoint = { ok: false, why: "none" };
      for (const [seq, c] of proofCells) out.rows.push({ seq, status: c.dataset.status });
      return out;
    }
    let cp;
    try {
      cp = await FTVerify.verifyCheckpoint(D.proof.checkpoint, D.proof.log_key);
    } catch (e) {
      status.textContent = `✗ The checkpoint does not verify: ${e.message}. Nothing on this page is proved.`;
      status.className = "fail";
      out.checkpoint = { ok: false, why: e.message };
      for (const [seq, c] of proofCells) { c.textContent = "✗ not proved: the checkpoint failed"; c.className = "fail"; c.dataset.status = "failed"; out.rows.push({ seq, status: "failed" }); }
      return out;
    }
    out.checkpoint = { ok: true, size: cp.size };
    let good = 0, bad = 0;
    for (const p of D.payments) {
      const cell = proofCells.get(p.seq);
      if (!p.proof) { out.rows.push({ seq: p.seq, status: "unproved" }); continue; }
      const r = await FTVerify.verifyRecord(cp, p, p.proof, p.proof.batch ? D.batches[String(p.proof.batch.seq)] : null);
      if (r.ok) {
        good++;
        cell.textContent = `✓ verified: in the log, ${r.how} by ${r.signers.map((k) => k.slice(0, 8) + "…").join(", ")}`;
        cell.className = "ok";
        cell.dataset.status = "verified";
      } else {
        bad++;
        cell.textContent = `✗ FAILED: ${r.why}`;
        cell.className = "fail";
        cell.dataset.status = "failed";
      }
      out.rows.push({ seq: p.seq, status: cell.dataset.status, why: r.why });
    }
    status.textContent = `${bad ? "✗" : "✓"} The log's checkpoint (${cp.size} records, signed by ${D.proof.log_key.split("+")[0]}) verifies. ${good} of ${good + bad} payments listed below are proved in it and signed by their officers${bad ? `; ${bad} FAILED — see the Proof column` : ""}.`;
    status.className = bad ? "fail" : "ok";
    return out;
  }

  // ---- the map ----
  const kindLayer = { commissioner: 0, funder: 0, office: 0, board: 0, regulator: 0, auditor: 0, pool: 1, integrator: 2 };
  const layerOf = (n) => (n.kind in kindLayer ? kindLayer[n.kind] : 3);
  const volume = nodes.map((n) => { const p = partyRow.get(n.id); return p ? p.received + p.paid : 0; });
  const maxVolume = volume.reduce((a, v) => Math.max(a, v), 1);
  const radius = nodes.map((n, i) => 3 + 12 * Math.sqrt(volume[i] / maxVolume));
  const canvas = $("map");
  const ctx = canvas.getContext("2d");
  let transform = d3.zoomIdentity, selected = null, width = 900, height = 560;
  const layerWidth = () => width / 4.5;
  const funding = links.filter((l) => l.type === "funding");
  const maxEdge = funding.reduce((a, l) => Math.max(a, l.amount), 1);
  // Start each party in its layer's column, spread down the height (d3's
  // default start is a spiral round the origin, far from the layers).
  {
    const r = canvas.getBoundingClientRect();
    width = Math.max(300, r.width || width);
    height = Math.max(300, r.height || height);
    const perLayer = [0, 0, 0, 0];
    const count = [0, 0, 0, 0];
    for (const n of nodes) count[layerOf(n)]++;
    // A layer of thousands gets a band as wide as a column allows and as
    // tall as its parties need, so the layout starts near where it ends.
    const tallest = Math.max(...count);
    const span = Math.max(height, Math.sqrt(tallest) * 40);
    for (const n of nodes) {
      const l = layerOf(n), k = perLayer[l]++;
      const columns = Math.max(1, Math.round(Math.sqrt(count[l] / 40)));
      n.x = 40 + l * layerWidth() + (columns > 1 ? ((k % columns) / columns) * layerWidth() * 0.8 : 0);
      n.y = ((Math.floor(k / columns) + 0.5) / Math.ceil(count[l] / columns)) * span * Math.min(1, 0.3 + count[l] / tallest);
      n.y0 = n.y + (span - span * Math.min(1, 0.3 + count[l] / tallest)) / 2;
      n.y = n.y0;
      n.x0 = n.x;
    }
  }
  let touched = false;  // the reader has zoomed, panned or picked a party: the view is theirs
  function fit() {
    if (touched || !nodes.length) return;
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const n of nodes) { x0 = Math.min(x0, n.x); x1 = Math.max(x1, n.x); y0 = Math.min(y0, n.y); y1 = Math.max(y1, n.y); }
    x0 -= 20; x1 += 160; y0 -= 20; y1 += 20;
    const k = Math.min(4, width / (x1 - x0), height / (y1 - y0));
    transform = d3.zoomIdentity.translate((width - k * (x0 + x1)) / 2, (height - k * (y0 + y1)) / 2).scale(k);
    d3.select(canvas).property("__zoom", transform);
  }
  const sim = d3.forceSimulation(nodes)
    .force("link", d3.forceLink(funding).strength(0.02))
    .force("charge", d3.forceManyBody().strength(nodes.length > 1000 ? -8 : -60).theta(0.95).distanceMax(250))
    .force("x", d3.forceX((n) => n.x0).strength(0.5))
    .force("y", d3.forceY((n) => n.y0).strength(0.05))
    .force("collide", d3.forceCollide((n) => radius[n.i] + 1).iterations(1))
    .alphaDecay(nodes.length > 1000 ? 0.06 : 0.03)
    .on("tick", () => { fit(); draw(); })
    .on("end", () => { fit(); draw(); });

  function resize() {
    const r = canvas.getBoundingClientRect();
    width = Math.max(300, r.width);
    height = Math.max(300, r.height);
    canvas.width = Math.round(width * devicePixelRatio);
    canvas.height = Math.round(height * devicePixelRatio);
    fit();
    draw();
  }
  const kindShade = { 0: "#2b2b2b", 1: "#1d4f91", 2: "#6b4fa0", 3: "#3f7f5a" };
  function draw() {
    ctx.setTransform(devicePixelRatio, 0, 0, devicePixelRatio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.translate(transform.x, transform.y);
    ctx.scale(transform.k, transform.k);
    ctx.lineWidth = 0.6 / transform.k;
    ctx.strokeStyle = "rgba(90,90,90,0.25)";
    ctx.beginPath();
    for (const l of funding) {
      if (selected && l.source !== selected && l.target !== selected) continue;
      ctx.moveTo(l.source.x, l.source.y);
      ctx.lineTo(l.target.x, l.target.y);
    }
    ctx.stroke();
    if (selected) {
      for (const l of funding.filter((l) => l.source === selected || l.target === selected)) {
        ctx.lineWidth = (1 + 5 * Math.sqrt(l.amount / maxEdge)) / transform.k;
        ctx.strokeStyle = l.target === selected ? "rgba(11,107,47,0.7)" : "rgba(164,0,15,0.6)";
        ctx.beginPath();
        ctx.moveTo(l.source.x, l.source.y);
        ctx.lineTo(l.target.x, l.target.y);
        ctx.stroke();
      }
      ctx.setLineDash([4 / transform.k, 3 / transform.k]);
      ctx.strokeStyle = "#444";
      ctx.lineWidth = 1 / transform.k;
      ctx.beginPath();
      for (const l of [...inEdges[selected.i], ...outEdges[selected.i]]) if (l.type === "responsibility") { ctx.moveTo(l.source.x, l.source.y); ctx.lineTo(l.target.x, l.target.y); }
      ctx.stroke();
      ctx.setLineDash([]);
    }
    for (const n of nodes) {
      ctx.beginPath();
      ctx.arc(n.x, n.y, radius[n.i], 0, 2 * Math.PI);
      ctx.fillStyle = kindShade[layerOf(n)];
      ctx.globalAlpha = selected && n !== selected ? 0.55 : 0.9;
      ctx.fill();
      ctx.globalAlpha = 1;
      if (n.failed) {  // a cross, not only a colour
        ctx.strokeStyle = "#a4000f";
        ctx.lineWidth = 2 / transform.k;
        const r = radius[n.i];
        ctx.beginPath();
        ctx.moveTo(n.x - r, n.y - r); ctx.lineTo(n.x + r, n.y + r);
        ctx.moveTo(n.x + r, n.y - r); ctx.lineTo(n.x - r, n.y + r);
        ctx.stroke();
      }
      if (n.gap && (nodes.length <= 500 || transform.k >= 2 || n === selected)) {  // a ring (at thousands, once zoomed in)
        ctx.strokeStyle = "#f5b700";
        ctx.lineWidth = 2 / transform.k;
        ctx.beginPath();
        ctx.arc(n.x, n.y, radius[n.i] + 3 / transform.k, 0, 2 * Math.PI);
        ctx.stroke();
      }
    }
    // Names where they fit: the biggest parties, the selected one, and every
    // one once zoomed in far enough.
    ctx.fillStyle = "#111";
    ctx.font = `${12 / transform.k}px system-ui, sans-serif`;
    const labelled = nodes.length <= 60 || transform.k > 3 ? nodes : nodes.filter((n) => radius[n.i] > 9);
    for (const n of labelled) ctx.fillText(n.name || n.id, n.x + radius[n.i] + 2 / transform.k, n.y + 4 / transform.k);
    if (selected) {
      ctx.font = `bold ${14 / transform.k}px system-ui, sans-serif`;
      ctx.fillText(selected.name || selected.id, selected.x + radius[selected.i] + 3 / transform.k, selected.y - 6 / transform.k);
    }
  }
  const zoom = d3.zoom().scaleExtent([0.05, 60]).on("zoom", (ev) => { if (ev.sourceEvent) touched = true; transform = ev.transform; draw(); });
  d3.select(canvas).call(zoom).on("click", (ev) => {
    const [px, py] = d3.pointer(ev);
    const [x, y] = transform.invert([px, py]);
    const n = sim.find(x, y, 14 / transform.k);
    if (n) showParty(n.id, false);
  });
  new ResizeObserver(resize).observe(canvas);

  const legend = $("legend");
  legend.append("Dark: funders and commissioners · blue: pools · purple: integrators · green: providers and others · a cross: failed or exited · a yellow ring: a responsibility gap.");

  function listOf(edges, side, limit) {
    const ul = el("ul");
    const sorted = edges.slice().sort((a, b) => b.amount - a.amount);
    for (const l of sorted.slice(0, limit)) ul.append(el("li", {}, partyLink(nodes[side === "from" ? l.s : l.t].id), ` ${money(l.amount)} (${l.mechanisms.join(", ")})`));
    if (sorted.length > limit) ul.append(el("li", { class: "note" }, `and ${sorted.length - limit} more`));
    if (!sorted.length) ul.append(el("li", { class: "note" }, "none"));
    return ul;
  }
  function showParty(id, scrollToMap) {
    const n = byId.get(id);
    if (!n) return false;
    selected = n;
    touched = true;
    const p = partyRow.get(id) || { received: 0, paid: 0, balance: 0, status: "" };
    const lines = [...inEdges[n.i], ...outEdges[n.i]].filter((l) => l.type === "responsibility");
    const panel = $("party-panel");
    panel.replaceChildren(
      el("h3", {}, n.name || n.id), el("p", { class: "note" }, `${n.id} · ${n.kind} · ${p.status}${n.failed ? " (failed)" : ""}${n.gap ? " · responsibility gap" : ""}`),
      el("p", {}, `Received ${money(p.received)}; paid ${money(p.paid)}; holds ${money(p.balance)}.`),
      el("h4", {}, "Money in"), listOf(inEdges[n.i].filter((l) => l.type === "funding"), "from", 8),
      el("h4", {}, "Money out"), listOf(outEdges[n.i].filter((l) => l.type === "funding"), "to", 8),
      el("h4", {}, "Lines of responsibility"),
      lines.length ? el("ul", {}, lines.slice(0, 12).map((l) => el("li", {}, `${nodes[l.s].id} answers for ${nodes[l.t].id}: ${l.subject} (${l.kind}${l.recorded ? "" : ", unrecorded"})`))) : el("p", { class: "note" }, "none recorded"),
      el("p", {}, el("button", { type: "button", onclick: () => { $("trail-party").value = id; showTrail(id); $("trail").scrollIntoView(); } }, "Follow its money back"), " ", el("a", { href: `#party-${id}`, onclick: () => { $("party-search").value = id; $("party-search").dispatchEvent(new Event("input")); } }, "its row in the table")));
    // Centre it.
    const k = Math.max(transform.k, 1.5);
    d3.select(canvas).call(zoom.transform, d3.zoomIdentity.translate(width / 2 - n.x * k, height / 2 - n.y * k).scale(k));
    $("map-status").textContent = `showing ${n.name || n.id}`;
    if (scrollToMap) $("map-section").scrollIntoView();
    draw();
    return true;
  }

  // The money trail: who paid this party, who paid them, up to the pools and
  // funders (the largest payers at each step; a party already on the path is
  // not followed again, so a cycle ends).
  function showTrail(id) {
    const out = $("trail-out");
    const n = byId.get(id);
    if (!n) { out.replaceChildren(el("p", {}, `No party '${id}'.`)); return; }
    const up = (node, path, depth) => {
      const payers = inEdges[node.i].filter((l) => l.type === "funding").sort((a, b) => b.amount - a.amount);
      if (!payers.length || depth > 6) return null;
      const ul = el("ul");
      for (const l of payers.slice(0, 6)) {
        const from = nodes[l.s];
        const li = el("li", {}, "← ", partyLink(from.id), ` paid ${nameOf(node.id)} ${money(l.amount)} (${l.mechanisms.join(", ")})`);
        if (!path.has(from.id) && layerOf(from) > 0) li.append(up(from, new Set([...path, from.id]), depth + 1) || "");
        ul.append(li);
      }
      if (payers.length > 6) ul.append(el("li", { class: "note" }, `and ${payers.length - 6} more payers`));
      return ul;
    };
    out.replaceChildren(el("div", { class: "trail" }, el("p", {}, el("strong", {}, nameOf(id)), ` received ${money((partyRow.get(id) || {}).received || 0)}`), up(n, new Set([id]), 0) || el("p", { class: "note" }, "No one paid it.")));
  }

  const names = $("party-names");
  const opts = document.createDocumentFragment();
  for (const n of nodes) opts.append(el("option", { value: n.id }, n.name && n.name !== n.id ? n.name : null));
  names.append(opts);
  const findParty = (text) => {
    const t = text.trim();
    if (byId.has(t)) return t;
    const q = t.toLowerCase();
    const hit = nodes.find((n) => n.id.toLowerCase().includes(q) || (n.name || "").toLowerCase().includes(q));
    return hit ? hit.id : null;
  };
  $("map-find").addEventListener("submit", (ev) => { ev.preventDefault(); const id = findParty($("map-search").value); if (!id || !showParty(id, false)) $("map-status").textContent = `no party matches '${$("map-search").value}'`; });
  $("map-reset").addEventListener("click", () => { selected = null; touched = false; fit(); draw(); });
  $("trail-form").addEventListener("submit", (ev) => { ev.preventDefault(); const id = findParty($("trail-party").value); showTrail(id || $("trail-party").value); });
  const firstProvider = D.parties.filter((p) => layerOf(p) === 3 && p.received > 0).sort((a, b) => b.received - a.received)[0];
  if (firstProvider) { $("trail-party").value = firstProvider.id; showTrail(firstProvider.id); }

  $("footer").textContent = `Made by fundtrail from ledger ${D.origin} (${D.records} records). The page loads nothing from outside itself.`;
  resize();
  // Interactive from here: the tables, search and map respond; the layout
  // goes on settling and the proofs resolve in the background.
  const interactiveMs = Math.round(performance.now());
  document.documentElement.dataset.interactiveMs = String(interactiveMs);
  const ready = prove().then((r) => { document.documentElement.dataset.proved = String(r.rows.filter((x) => x.status === "verified").length); return { ...r, interactive_ms: interactiveMs }; });
  window.fundtrailReport = { ready, data: D };
})();
