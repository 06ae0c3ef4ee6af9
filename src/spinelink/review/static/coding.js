// spinelink review page, coding mode: one coded answer at a time, its proposed code and
// the classification's neighbours; decisions by keyboard (or buttons), saved at once.
"use strict";

const state = { queue: null, pos: -1, item: null, busy: false };

function setQueue(q) {
  state.queue = q;
  $("done").textContent = q.done;
  $("total").textContent = q.total;
  $("bar").max = Math.max(q.total, 1);
  $("bar").value = q.done;
  document.body.dataset.done = q.done;
  renderStrip();
}

function renderStrip() {
  const its = items();
  const lo = Math.max(0, state.pos - 100), hi = Math.min(its.length, lo + 200);
  $("strip").replaceChildren(...its.slice(lo, hi).map((it, k) => el("span", {
    class: `${it.decision !== null ? "decided" : ""}${lo + k === state.pos ? " current" : ""}`,
    title: `answer ${lo + k + 1} (${it.task})${it.decision !== null ? ": " + it.decision : ""}`,
  })));
}

async function show(pos) {
  const its = items();
  if (!its.length) { $("position").textContent = "nothing open to code or verify"; return; }
  state.pos = Math.max(0, Math.min(pos, its.length - 1));
  const id = its[state.pos].pair;
  const it = await api(`/api/pair/${id}`);
  if (items()[state.pos].pair !== id) return;
  state.item = it;
  render(it);
  renderStrip();
}

function render(it) {
  document.body.dataset.pair = it.pair;
  $("position").textContent = `Answer ${state.pos + 1} of ${items().length}`;
  $("ids").textContent = `${it.source} ${it.record_id} · ${it.variable}`;
  $("task").textContent = it.task === "clerical" ? "clerical coding"
    : it.task === "recheck" ? `re-check ${it.batch}` : `verification ${it.batch}`;
  $("text").textContent = it.text === null ? "(no answer)" : it.text;
  $("classification").textContent = it.classification;
  $("proposed").textContent = it.proposed || "—";
  $("proposed-label").textContent = it.proposed_label || (it.proposed ? "" : "nothing proposed");
  $("method").textContent = it.method || it.status;
  const d = it.decision;
  $("status").dataset.decision = d ? d.code : "";
  $("status").textContent = d ? `${d.code} ${d.label} — ${d.reviewer}, ${d.time.slice(0, 16).replace("T", " ")}`
                              : "not decided";
  $("neighbours").replaceChildren(...it.neighbours.map((n) => el("li",
    { class: d && d.code === n.code ? "chosen" : "", "data-code": n.code },
    el("kbd", {}, n.key), " ", el("span", { class: "code" }, n.code), " ", n.label,
    el("span", { class: "why" }, n.why))));
}

async function decide(decision) {
  if (state.busy || !state.item) return;
  setBusy(true);
  const id = state.item.pair;
  try {
    const q = await api("/api/decision", { pair: id, decision });
    setQueue(q);
    const got = q.items.find((x) => x.pair === id);
    say(`saved: ${got ? got.decision : decision}`);
    const j = nextOpen(state.pos);
    if (j >= 0) await show(j); else { await show(state.pos); say("every answer in this queue is decided"); }
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
    const j = items().findIndex((it) => it.pair === q.undone);
    await show(j >= 0 ? j : state.pos);
    say("last decision undone");
  } catch (e) { say(`undo failed (${e.message})`, true); }
  finally { setBusy(false); }
}

async function move(step) {
  if (!items().length || state.busy) return;
  setBusy(true);
  say("");
  try { await show((state.pos + step + items().length) % items().length); }
  finally { setBusy(false); }
}

document.addEventListener("keydown", (ev) => {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const keys = {
    a: () => decide("accept"), Enter: () => decide("accept"), x: () => decide("uncodable"),
    s: () => decide("not_stated"), z: undo, ArrowRight: () => move(1), " ": () => move(1),
    ArrowLeft: () => move(-1), "?": () => { $("help").open = !$("help").open; },
  };
  let fn = keys[ev.key];
  if (!fn && /^[1-9]$/.test(ev.key) && state.item && Number(ev.key) <= state.item.neighbours.length) {
    fn = () => decide(`n:${ev.key}`);
  }
  if (fn) { ev.preventDefault(); fn(); }
});

$("b-accept").addEventListener("click", () => decide("accept"));
$("b-uncodable").addEventListener("click", () => decide("uncodable"));
$("b-not-stated").addEventListener("click", () => decide("not_stated"));
$("b-prev").addEventListener("click", () => move(-1));
$("b-next").addEventListener("click", () => move(1));
$("b-undo").addEventListener("click", undo);

(async function start() {
  try {
    const q = await api("/api/queue");
    $("who").textContent = `coder: ${q.reviewer} · ${q.sources.join(", ")}`;
    setQueue(q);
    await show(Math.max(nextOpen(-1), 0));
    setBusy(false);
    document.body.dataset.ready = "1";
  } catch (e) { say(`could not load the queue (${e.message})`, true); }
})();
