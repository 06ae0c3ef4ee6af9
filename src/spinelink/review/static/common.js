// What the review page (app.js) and its coding mode (coding.js) share: the session token,
// calls to the server, text-only DOM building, the message line, the busy flag and the
// queue's next open item. Each page's own script defines `state` ({queue, pos, busy, ...})
// and is loaded after this one.
"use strict";

const TOKEN = document.querySelector('meta[name="review-token"]').content;
const $ = (id) => document.getElementById(id);

// While a decision is being saved and the next pair loaded, keys are ignored (so a key
// never lands on a pair the reviewer has not seen); body[data-busy] shows it.
function setBusy(on) {
  state.busy = on;
  document.body.dataset.busy = on ? "1" : "0";
}

async function api(path, body) {
  const opt = { headers: { "X-Review-Token": TOKEN } };
  if (body !== undefined) {
    opt.method = "POST";
    opt.headers["Content-Type"] = "application/json";
    opt.body = JSON.stringify(body);
  }
  const r = await fetch(path, opt);
  if (!r.ok) throw new Error(`server answered ${r.status}`);
  return r.json();
}

// Build DOM nodes with text only (record values are never parsed as HTML).
function el(tag, attrs, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") n.className = v;
    else if (k === "style") n.style.cssText = v;  // CSSOM: allowed by the page's CSP
    else n.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    n.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return n;
}

function say(text, error) {
  $("message").textContent = text || "";
  $("message").className = error ? "error" : "";
}

function items() { return state.queue ? state.queue.items : []; }

function nextOpen(from) {
  const its = items();
  for (let k = 1; k <= its.length; k++) {
    const j = (from + k) % its.length;
    if (!its[j].decision) return j;
  }
  return -1;
}

