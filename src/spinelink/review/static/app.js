// spinelink clerical review page: one pair at a time, decisions by keyboard or buttons,
// everything over fetch (no page reload between pairs), no external resources.
"use strict";

const state = { queue: null, pos: -1, pair: null, busy: false, cache: new Map() };

function setQueue(q) {
  const current = state.pos >= 0 && items()[state.pos] ? items()[state.pos].pair : null;
  state.queue = q;
  if (current !== null) {
    const j = items().findIndex((it) => it.pair === current);
    state.pos = j >= 0 ? j : Math.min(state.pos, items().length - 1);
  }
  $("done").textContent = q.done;
  $("total").textContent = q.total;
  $("bar").max = Math.max(q.total, 1);
  $("bar").value = q.done;
  document.body.dataset.done = q.done;
  renderStrip();
}

function renderStrip() {
  const strip = $("strip");
  const its = items();
  const lo = Math.max(0, state.pos - 100), hi = Math.min(its.length, lo + 200);
  strip.replaceChildren(...its.slice(lo, hi).map((it, k) => el("span", {
    class: `${it.decision || ""}${lo + k === state.pos ? " current" : ""}`,
    title: `pair ${lo + k + 1}${it.decision ? ": " + it.decision : ""}`,
  })));
}

async function fetchPair(id) {
  if (!state.cache.has(id)) state.cache.set(id, api(`/api/pair/${id}`));
  try { return await state.cache.get(id); } catch (e) { state.cache.delete(id); throw e; }
}

async function show(pos) {
  const its = items();
  if (!its.length) {
    $("position").textContent = "nothing to review in this queue";
    document.body.dataset.pair = "";
    return;
  }
  state.pos = Math.max(0, Math.min(pos, its.length - 1));
  const id = its[state.pos].pair;
  const p = await fetchPair(id);
  if (items()[state.pos] === undefined || items()[state.pos].pair !== id) return;
  state.pair = p;
  render(p);
  renderStrip();
  const nxt = its[state.pos + 1];
  if (nxt) fetchPair(nxt.pair).catch(() => {});  // prefetch
}

function value(raw, canon) {
  const cell = el("td", { class: "value" });
  cell.append(raw === null ? el("span", { class: "null" }, "—") : raw);
  if (canon !== null && canon !== raw) cell.append(el("span", { class: "canon" }, canon));
  return cell;
}

function render(p) {
  const its = items();
  document.body.dataset.pair = p.pair;
  $("position").textContent = `Pair ${state.pos + 1} of ${its.length}`;
  $("ids").textContent = `${p.reference} ${p.reference_id} ↔ ${p.source} ${p.source_id}`;
  $("ref-head").textContent = `reference (${p.reference} ${p.reference_id})`;
  $("src-head").textContent = `${p.source} ${p.source_id}`;
  const d = p.decision;
  $("status").dataset.decision = d ? d.decision : "";
  $("status").textContent = d ? `${d.decision} — ${d.reviewer}, ${d.time.slice(0, 16).replace("T", " ")}`
                              : "not decided";
  $("note").value = d && d.note ? d.note : "";
  $("fields").tBodies[0].replaceChildren(...p.fields.map((f) => el("tr", { class: f.status },
    el("td", { class: "field" }, f.field), value(f.ref_raw, f.ref_canon),
    value(f.src_raw, f.src_canon))));
  renderWeight(p.weight);
  renderOthers(p);
}

function renderWeight(w) {
  const box = $("weight");
  if (!w) { box.replaceChildren(); return; }
  const rows = w.parts.map((c) => {
    const total = c.weight + c.tf_weight;
    return el("tr", {}, el("td", {}, c.comparison), el("td", {}, c.level),
      el("td", { class: "num" }, total.toFixed(2)),
      el("td", {}, el("span", { class: total < 0 ? "bar neg" : "bar",
                                style: `width:${Math.min(Math.abs(total) * 6, 120)}px` })));
  });
  rows.push(el("tr", {}, el("td", {}, "prior"), el("td", {}, "share of matches among pairs"),
    el("td", { class: "num" }, w.prior.toFixed(2)), el("td", {})));
  box.replaceChildren(
    el("h2", {}, `Match weight ${w.match_weight.toFixed(2)} · probability ${w.match_probability.toFixed(3)}`),
    el("table", { id: "parts" }, el("thead", {}, el("tr", {}, el("th", {}, "comparison"),
      el("th", {}, "level"), el("th", {}, "weight"), el("th", {}))), el("tbody", {}, ...rows)));
}

function otherList(title, list, extra) {
  if (!list.length && !extra.length) return null;
  return el("div", {}, el("h2", {}, title), el("ul", { class: "others-list" },
    ...list.map((o) => el("li", {}, el("span", { class: "id" }, o.id), " ", o.summary,
      o.match_weight !== undefined ? ` (weight ${o.match_weight.toFixed(2)})` : "",
      o.decision ? ` — ${o.decision}` : "")),
    ...extra));
}

function renderOthers(p) {
  const linked = p.linked_ref.map((l) => el("li", {}, "already linked: ",
    el("span", { class: "id" }, l.source_id), ` (${l.method})`));
  const earlier = (p.earlier || []).map((e) => el("li", {},
    `${e.round} review: ${e.decision} (${e.reviewer})${e.note ? " — " + e.note : ""}`));
  $("others").replaceChildren(...[
    otherList(`Other candidates of reference ${p.reference_id}`, p.others_ref, linked),
    otherList(`Other candidates of ${p.source} ${p.source_id}`, p.others_src, []),
    earlier.length ? el("div", {}, el("h2", {}, "Earlier decisions"),
                        el("ul", {}, ...earlier)) : null,
  ].filter(Boolean));
}

async function decide(decision) {
  if (state.busy || !state.pair) return;
  setBusy(true);
  const id = state.pair.pair;
  try {
    const q = await api("/api/decision", { pair: id, decision, note: $("note").value });
    state.cache.delete(id);
    setQueue(q);
    say(`saved: ${decision}`);
    const j = nextOpen(state.pos);
    if (j >= 0) await show(j); else { await show(state.pos); say("all pairs in this queue are decided"); }
  } catch (e) { say(`not saved (${e.message}); try again`, true); }
  finally { setBusy(false); }
}

async function undo() {
  if (state.busy) return;
  setBusy(true);
  try {
    const q = await api("/api/undo", {});
    setQueue(q);
    if (q.undone === null || q.undone === undefined) { say("nothing to undo"); return; }
    state.cache.delete(q.undone);
    const j = items().findIndex((it) => it.pair === q.undone);
    await show(j >= 0 ? j : state.pos);
    say("last decision undone");
  } catch (e) { say(`undo failed (${e.message})`, true); }
  finally { setBusy(false); }
}

function move(step) {
  if (!items().length) return;
  say("");
  show((state.pos + step + items().length) % items().length);
}

document.addEventListener("keydown", (ev) => {
  if (ev.target === $("note")) {
    if (ev.key === "Escape") { $("note").blur(); ev.preventDefault(); }
    else if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { $("note").blur(); decide("match"); ev.preventDefault(); }
    return;
  }
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const keys = {
    m: () => decide("match"), n: () => decide("non-match"), u: () => decide("unsure"),
    z: undo, ArrowRight: () => move(1), j: () => move(1), ArrowLeft: () => move(-1),
    k: () => move(-1), Home: () => show(Math.max(nextOpen(-1), 0)),
    "/": () => $("note").focus(), "?": () => { $("help").open = !$("help").open; },
  };
  const fn = keys[ev.key];
  if (fn) { ev.preventDefault(); fn(); }
});

for (const b of document.querySelectorAll("button[data-decision]")) {
  b.addEventListener("click", () => decide(b.dataset.decision));
}
$("b-prev").addEventListener("click", () => move(-1));
$("b-next").addEventListener("click", () => move(1));
$("b-undo").addEventListener("click", undo);

(async function start() {
  try {
    const q = await api("/api/queue");
    $("mode").textContent = q.mode === "first" ? "first review"
      : q.mode === "second" ? "second review (QC)" : "re-review";
    if (q.blind) $("mode").textContent += " · blind";
    $("who").textContent = `reviewer: ${q.reviewer} · ${q.sources.join(", ")} → ${q.reference}`;
    setQueue(q);
    await show(Math.max(nextOpen(-1), 0));
    setBusy(false);
    document.body.dataset.ready = "1";
  } catch (e) { say(`could not load the queue (${e.message})`, true); }
})();
