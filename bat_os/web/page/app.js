// BAT OS web inspector: the world view, the inspector, talk, questions and the live event log.
// Everything goes through the inspector's server (bat_os/web/server.py), which talks to the kernel.
// Text from the image is always set with textContent: nothing the image holds becomes markup.
"use strict";

const batos = window.batos = {
  loadMs: null,          // ms from navigation start to the first world view drawn
  latencies: [],         // ms from an event's publication (its "at") to its arrival here
  world: null, kernel: null, target: null, method: null,
  cycles: new Map(),     // cycle id -> {card, states}
  questions: new Map(),  // "c3/q1" -> question
  personaTimers: {}, events: 0, lastTestRun: {}, talking: null,
};
const TERMINAL = new Set(["COMPLETE", "FAILED"]);
const PERSONAS = ["ALFRED", "BRICK", "ROBIN", "BABS"];

// --- small helpers ---------------------------------------------------------------------------
const $ = (selector, root = document) => root.querySelector(selector);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false)
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function show(value, depth = 0) {  // a value as Python would print it (its repr), near enough
  let text;
  if (value === null || value === undefined) text = "None";
  else if (value === true) text = "True";
  else if (value === false) text = "False";
  else if (typeof value === "string") text = "'" + value.replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";
  else if (typeof value === "number") text = String(value);
  else if (Array.isArray(value)) text = "[" + value.map(v => show(v, depth + 1)).join(", ") + "]";
  else if (value.$oid) text = "<" + (value.name || value.$oid) + ">";
  else if (value.$repr) text = value.$repr;
  else text = "{" + Object.entries(value).map(([k, v]) => show(k, depth + 1) + ": " + show(v, depth + 1)).join(", ") + "}";
  return depth === 0 && text.length > 300 ? text.slice(0, 297) + "..." : text;
}

function when(seconds) {
  if (typeof seconds !== "number") return "";
  return new Date(seconds * 1000).toLocaleString();
}

function duration(seconds) {  // seconds as a person says them: "0.4 s", "45 s", "3 min", "1 h 5 min"
  if (typeof seconds !== "number" || !isFinite(seconds)) return "?";
  const s = Math.abs(seconds);
  if (s < 10) return (Math.round(s * 10) / 10) + " s";
  if (s < 90) return Math.round(s) + " s";
  if (s < 5400) return Math.round(s / 60) + " min";
  if (s >= 172800) return Math.round(s / 86400) + " days";
  const minutes = Math.round(s / 60);
  return Math.floor(minutes / 60) + " h" + (minutes % 60 ? " " + (minutes % 60) + " min" : "");
}

function dayWord(at, now) {  // "" for today, "tomorrow " or "yesterday ", else a short date: "2 Dec "
  const midnight = d => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((midnight(at) - midnight(now)) / 86400000);
  if (days === 0) return "";
  if (days === 1) return "tomorrow ";
  if (days === -1) return "yesterday ";
  return at.toLocaleDateString(undefined, {day: "numeric", month: "short"}) + " ";
}

function clockTime(epoch, now = Date.now() / 1000) {  // an epoch time in local time: "12:40:20, in 3 min", "tomorrow 00:15:52, in 60 min"
  if (typeof epoch !== "number") return "never";
  const at = new Date(epoch * 1000);
  const two = n => String(n).padStart(2, "0");
  const day = dayWord(at, new Date(now * 1000));
  const ahead = epoch - now;
  const relative = Math.abs(ahead) < 1 ? "now" : ahead > 0 ? "in " + duration(ahead) : duration(-ahead) + " ago";
  return day + two(at.getHours()) + ":" + two(at.getMinutes()) + ":" + two(at.getSeconds()) + ", " + relative;
}

function engines(kernel) {  // what runs the personas' models (status: models.engines): "models on llama.cpp", "models on llama.cpp: ALFRED · transformers: BABS"
  const models = (kernel || {}).models || {};
  const by = Object.entries(models.engines || {});  // engine -> the personas whose models it runs
  const table = models.personas || {};
  const none = PERSONAS.filter(n => n in table && !(table[n] || {}).model);
  if (!by.length) return models.manager ? "no model" : (kernel && kernel.llm) || "no model";  // no engine runs one (e.g. replay)
  const parts = by.length === 1 && !none.length ? [by[0][0]] : by.map(([engine, names]) => engine + ": " + names.join(", "));
  if (none.length) parts.push("no model: " + none.join(", "));
  return "models on " + parts.join(" · ");
}

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)};
  let response;
  try {
    response = await fetch(path, options);
  } catch (exc) {
    return {status: "error", error: {code: "unreachable", message: "the inspector's server cannot be reached: " + exc}};
  }
  if (response.status === 403) return {status: "error", error: {code: "forbidden", message: await response.text()}};
  try {
    return await response.json();
  } catch (exc) {
    return {status: "error", error: {code: "bad_reply", message: "HTTP " + response.status + ": not JSON"}};
  }
}

function problem(reply) {  // the kernel's (or the server's) coded error, as a person reads it
  const e = reply.error || {};
  let text = (e.code || "error") + ": " + (e.message || "");
  if (Array.isArray(e.failures)) text += "\n" + e.failures.map(f => "  " + (typeof f === "string" ? f : JSON.stringify(f))).join("\n");
  if (Array.isArray(e.reasons)) text += "\n" + e.reasons.map(r => "  " + r).join("\n");
  return text;
}

function notice(text) {
  const box = $("#notice");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(notice.timer);
  notice.timer = setTimeout(() => { box.hidden = true; }, 8000);
}

function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

// --- the world view --------------------------------------------------------------------------
async function loadWorld() {
  const reply = await api("/api/world");
  if (reply.status !== "ok") {
    document.body.dataset.world = "failed";
    notice("The world view could not be read: " + problem(reply));
    return;
  }
  batos.world = reply.world;
  batos.kernel = reply.kernel;
  drawFigures();
  drawPersonas();
  drawRoots();
  drawCycles(reply.world.cycles || []);
  loadDrafts();  // drafts.js
  drawUpkeep();
  drawHeartbeat();
  document.body.dataset.world = "ready";
  if (batos.loadMs === null) batos.loadMs = performance.now();
}
const rereadWorld = debounce(loadWorld, 150);

function drawFigures() {
  const k = batos.kernel || {};
  $("#kernel-figures").textContent = "kernel " + (k.version || "?") + " · pid " + (k.pid || "?") + " · " +
    (k.objects || 0) + " objects · " + engines(k) + " · up " + duration(k.uptime || 0) + modelWork(k);
}

function modelWork(k) {  // status.models.manager's queue and cores: " · ALFRED generating 12 s on 1 of 2 cores · waiting: BRICK"
  const manager = ((k || {}).models || {}).manager || {};
  const queue = manager.queue || {};
  const waiting = queue.waiting || [];
  if (!queue.running && !waiting.length) return "";
  const cores = manager.cores || {};
  let text = queue.running ? queue.running.persona + " generating " + duration(queue.running.seconds || 0) : "model work";
  if (queue.running && cores.cores) text += " on " + cores.generation_threads + " of " + cores.cores + " cores";
  if (waiting.length) text += " · waiting: " + waiting.map(w => w.persona).join(", ");
  return " · " + text;
}

async function pollModelWork() {  // while a cycle moved lately or model work is queued: status, so the queue shown stays true
  if (!batos.kernel || (Date.now() - (batos.cycleMoved || 0) > 30000 && !modelWork(batos.kernel))) return;
  const reply = await api("/api/request", {command: "status"});
  if (reply.status === "ok" && batos.kernel) {
    batos.kernel.models = reply.result.models;
    drawFigures();
  }
}

function personaRoot(name) {
  return (batos.world.roots || []).find(r => r.title === name && r.name.endsWith("_prototype_obj"));
}

function drawPersonas() {
  const box = $("#personas");
  const table = ((batos.kernel || {}).models || {}).personas || {};
  box.replaceChildren(...PERSONAS.filter(n => n in table || personaRoot(n)).map(name => {
    const model = table[name] || {};
    const root = personaRoot(name);
    const engine = model.model ? String(model.model).split(/[\\/]/).pop() + (model.engine ? " on " + model.engine : "") : "no model";
    return el("div", {class: "card persona", "data-persona": name, "data-state": "idle",
                      onclick: () => root && openInspector(root.name)},
      el("div", {class: "name", text: name}),
      el("div", {class: "meta", text: engine + (model.adapter ? " · adapter " + model.adapter : "")}),
      el("div", {class: "state", text: "idle"}),
      el("div", {class: "words"}));
  }));
}

function rootCard(root) {
  const learned = root.methods || [];
  const card = el("div", {class: "card root", "data-card": root.name, "data-oid": root.oid || "", "data-state": "idle",
                          onclick: () => openInspector(root.name)},
    el("div", {class: "name", text: root.name}),
    el("div", {class: "meta", text: (root.title && root.title !== root.name ? root.title + " · " : "") + root.type +
      (root.slots !== undefined ? " · " + root.slots + " slots · " + learned.length + " learned" : "")}),
    el("div", {class: "state", text: "idle"}),
    el("div", {class: "chips"}, learned.slice(0, 12).map(m => el("span", {class: "chip", "data-method": m.selector,
      title: "v" + m.version + "/" + m.versions + " by " + m.author, text: m.selector})),
      learned.length > 12 ? el("span", {class: "chip", text: "+" + (learned.length - 12)}) : null));
  return card;
}

function drawRoots() {
  const roots = (batos.world.roots || []).filter(r => r && typeof r.name === "string")
    .filter(r => !r.name.endsWith("_prototype_obj") || !PERSONAS.includes(r.title));
  const fragment = document.createDocumentFragment();
  for (const root of roots) fragment.append(rootCard(root));
  $("#roots").replaceChildren(fragment);
  $("#root-count").textContent = "(" + roots.length + (roots.length < batos.world.total ? " of " + batos.world.total : "") + ")";
  filterRoots();
  for (const [id, cycle] of batos.cycles) if (!TERMINAL.has(cycle.state)) markReceiver(id, cycle.state);
  if (batos.target) for (const card of document.querySelectorAll("[data-card]")) card.classList.toggle("open", card.dataset.card === batos.target);
}

function filterRoots() {
  const words = $("#root-filter").value.trim().toLowerCase();
  for (const card of document.querySelectorAll("#roots .card")) {
    card.hidden = words !== "" && !card.textContent.toLowerCase().includes(words);
  }
}

// --- cycles ----------------------------------------------------------------------------------
function drawCycles(cycles) {
  const box = $("#cycles");
  for (const summary of cycles.slice().reverse()) {
    const known = batos.cycles.get(summary.cycle);
    if (known) { known.receiver = summary.receiver; setCycleState(summary.cycle, summary.state, false); continue; }
    cycleCard(summary.cycle, summary.selector, summary.receiver, [summary.state]);
    if (summary.question) showQuestion(summary.question, true);
  }
  if (!box.children.length) box.append(el("p", {class: "empty", text: "No cycle yet."}));
}

function cycleCard(id, selector, receiver, states) {
  const box = $("#cycles");
  const empty = $(".empty", box);
  if (empty) empty.remove();
  const card = el("div", {class: "card cycle", "data-cycle": id, "data-state": "working",
                          onclick: event => { event.stopPropagation(); if (receiver) openInspector(cycle.receiver); }},
    el("div", {class: "name", text: id + ": " + (selector || "?")}),
    el("div", {class: "meta", text: receiver ? "on " + receiver : ""}),
    el("div", {class: "trail"}),
    el("div", {class: "trials"}),
    el("div", {class: "asks"}));
  const cycle = {card, states: [], receiver, selector, state: null};
  batos.cycles.set(id, cycle);
  box.prepend(card);
  for (const state of states) setCycleState(id, state, true);
  return cycle;
}

function setCycleState(id, state, append) {
  const cycle = batos.cycles.get(id);
  if (!cycle || !state) return;
  if (append || cycle.state !== state) {
    cycle.states.push(state);
    const trail = $(".trail", cycle.card);
    trail.append(el("span", {text: (trail.children.length ? "› " : "") + state}));
  }
  cycle.state = state;
  cycle.card.dataset.state = state === "FAILED" ? "failed" : state === "COMPLETE" ? "idle" : state === "ASKING" ? "asking" : "working";
  markReceiver(id, state);
}

function markReceiver(id, state) {
  const cycle = batos.cycles.get(id);
  if (!cycle || !cycle.receiver) return;
  const card = document.querySelector('[data-card="' + CSS.escape(cycle.receiver) + '"]') ||
               document.querySelector('[data-oid="' + CSS.escape(cycle.receiver) + '"]');
  if (!card) return;
  const done = TERMINAL.has(state);
  card.dataset.state = state === "FAILED" ? "failed" : done ? "idle" : state === "ASKING" ? "asking" : "working";
  $(".state", card).textContent = done ? (state === "FAILED" ? "cycle " + id + " failed" : "idle") : "in cycle " + id + ": " + state;
}

async function cycleStarted(id, selector) {
  const cycle = cycleCard(id, selector, null, []);
  const reply = await api("/api/request", {command: "cycle", cycle: id});
  if (reply.status === "ok") {
    const receiver = reply.result.receiver;
    const root = (batos.world.roots || []).find(r => r.oid === receiver);
    cycle.receiver = root ? root.name : receiver;
    $(".meta", cycle.card).textContent = "on " + cycle.receiver;
    markReceiver(id, cycle.state);
  }
  return cycle;
}

function addTrial(event) {
  const cycle = batos.cycles.get(event.cycle);
  if (!cycle) return;
  const eligible = event.eligible !== false && event.accepted !== false;
  const why = (event.failed || []).slice(0, 3).map(f => typeof f === "string" ? f : JSON.stringify(f)).join("; ");
  $(".trials", cycle.card).append(el("div", {class: "trial " + (eligible ? "eligible" : "refused"),
    text: "candidate " + (event.attempt ?? "?") + ": " + (eligible ? "eligible" : "refused") +
          (event.passes !== undefined ? ", " + event.passes + " passed" : "") + (why ? " (" + why + ")" : "")}));
}

// --- questions ---------------------------------------------------------------------------------
function labelled(shown) {  // "[the condition it tests] " before a call shown
  return shown && shown.condition ? "[" + shown.condition + "] " : "";
}

function callText(selector, call) {
  call = call || {};
  const args = (call.args || []).map(show).concat(Object.entries(call.kwargs || {}).map(([k, v]) => k + "=" + show(v)));
  let text = (selector || "?") + "(" + args.join(", ") + ")";
  if (call.slots && Object.keys(call.slots).length) text += "  on slots " + Object.entries(call.slots).map(([k, v]) => k + "=" + show(v)).join(", ");
  return text;
}

function outcomeText(choice) {
  let text = "raises" in choice ? "raises " + choice.raises : show(choice.result);
  if (choice.slots && Object.keys(choice.slots).length) text += ", leaving slots " + Object.entries(choice.slots).map(([k, v]) => k + "=" + show(v)).join(", ");
  return text;
}

function showQuestion(question, waiting) {
  const key = question.cycle + "/" + question.id;
  if (batos.questions.has(key)) return;
  batos.questions.set(key, question);
  const confirm = question.kind === "confirm" && (question.choices || []).length === 1;
  const result = el("div", {class: "answer-result"});
  const whose = "Cycle " + question.cycle;
  const box = el("div", {class: "question", "data-question": key},
    el("div", {text: (confirm ? whose + " will install a method that answers:" :
                     whose + ": the candidate methods disagree. What should this answer?")}));
  const calls = [question.call].concat((confirm && Array.isArray(question.also)) ? question.also.map(a => a.call) : []);
  if (confirm) {
    const shown = [question.choices[0]].concat(Array.isArray(question.also) ? question.also : []);
    const labels = [question].concat(Array.isArray(question.also) ? question.also : []);
    shown.forEach((choice, at) => box.append(el("div", {class: "choice", "data-at": at},
      (at + 1) + ") " + labelled(labels[at]) + callText(question.selector, calls[at]) + " -> " + outcomeText(choice))));
    box.append(el("button", {type: "button", class: "accept", text: "Accept: install it",
                             onclick: () => answer(question, {choose: 0}, result)}));
  } else {
    box.append(el("div", {class: "call", text: labelled(question) + callText(question.selector, question.call)}));
    question.choices.forEach((choice, n) => box.append(el("button", {type: "button", class: "choice", "data-choice": n,
      text: (n + 1) + ") " + outcomeText(choice) + (choice.candidates ? " (" + choice.candidates + " candidate" + (choice.candidates === 1 ? "" : "s") + ")" : ""),
      onclick: () => answer(question, {choose: n}, result)})));
  }
  const value = el("input", {type: "text", class: "answer-value", placeholder: "the right answer as JSON, e.g. \"A.K.L.\" or 42"});
  const at = el("select", {class: "answer-at"}, calls.map((c, n) => el("option", {value: n, text: "for call " + (n + 1)})));
  const answerAt = fields => {  // the answer for the call chosen (the first: no "at")
    if (calls.length > 1 && Number(at.value) > 0) fields.at = Number(at.value);
    answer(question, fields, result);
  };
  const refuse = text => { result.className = "answer-result error"; result.textContent = text; };
  box.append(el("div", {}, value, calls.length > 1 ? at : null,
    el("button", {type: "button", class: "answer-send", text: "Answer", onclick: () => {
      let parsed;
      try { parsed = JSON.parse(value.value); } catch (exc) {
        return refuse("not JSON: put text in double quotes (\"AKL\"), numbers as they are (42)");
      }
      answerAt({result: parsed});
    }}),
    el("button", {type: "button", class: "answer-raises", text: "It raises...", onclick: () => {
      const name = (value.value || "").trim().replace(/^"|"$/g, "");
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return refuse("type the exception's name (e.g. ValueError) in the box first");
      answerAt({raises: name});
    }}),
    el("button", {type: "button", class: "answer-skip", text: "Skip", onclick: () => answer(question, {skip: true}, result)})),
    ...(waiting === false ? [el("div", {class: "meta", text: "the cycle did not wait: answering tries it again"})] : []),
    result);
  const list = $("#questions");
  const empty = $(".empty", list);
  if (empty) empty.remove();
  list.prepend(box);
  const cycle = batos.cycles.get(question.cycle);
  if (cycle) $(".asks", cycle.card).replaceChildren(el("div", {class: "trial", text: "asks: " + callText(question.selector, question.call)}));
  $("#question-count").textContent = "(" + batos.questions.size + ")";
}

async function answer(question, fields, result) {
  result.className = "answer-result";
  result.textContent = "sending...";
  const reply = await api("/api/request", {command: "answer", cycle: question.cycle, question: question.id, ...fields});
  if (reply.status === "ok") {
    result.className = "answer-result ok";
    result.textContent = "answered";
  } else {
    result.className = "answer-result error";
    result.textContent = problem(reply);
  }
}

function questionSettled(event) {
  const key = event.cycle + "/" + event.question;
  const box = document.querySelector('[data-question="' + CSS.escape(key) + '"]');
  if (box) box.remove();
  batos.questions.delete(key);
  const cycle = batos.cycles.get(event.cycle);
  if (cycle) $(".asks", cycle.card).replaceChildren(el("div", {class: "trial", text: "answered (" + event.by + ")"}));
  $("#question-count").textContent = batos.questions.size ? "(" + batos.questions.size + ")" : "";
  if (!batos.questions.size) $("#questions").replaceChildren(el("p", {class: "empty", text: "No cycle is asking anything."}));
}

// --- the inspector ---------------------------------------------------------------------------------
async function openInspector(target) {
  batos.target = target;
  batos.method = null;
  for (const card of document.querySelectorAll("[data-card]")) card.classList.toggle("open", card.dataset.card === target);
  const reply = await api("/api/object?target=" + encodeURIComponent(target));
  const pane = $("#inspector");
  if (reply.status !== "ok") {
    pane.replaceChildren(el("p", {class: "error", text: problem(reply)}));
    return;
  }
  if (batos.target !== target) return;  // another was opened meanwhile
  const obj = reply.inspect;
  const head = el("h2", {class: "inspected", text: obj.name || obj.oid}, el("span", {class: "count", text: "  " + (obj.oid || "") + " · " + obj.type}));
  if (!obj.slots) {  // not an object of the graph: its summary
    pane.replaceChildren(head, el("pre", {text: JSON.stringify(obj.summary, null, 2)}));
    pane.dataset.target = target;
    return;
  }
  const parents = el("div", {class: "parents"}, "parents: ", (obj.parents || []).map(p =>
    el("a", {href: "#", text: p.name || p.$oid, onclick: e => { e.preventDefault(); openInspector(rootNameOf(p)); }})));
  pane.replaceChildren(head, parents, slotTable(target, obj.slots), methodList(target, reply.methods));
  if (obj.slots.codex && typeof obj.slots.codex === "object") pane.append(await personaSection(obj));
  pane.append(el("div", {id: "method"}));
  pane.dataset.target = target;
}

function rootNameOf(ref) {
  const root = (batos.world.roots || []).find(r => r.oid === ref.$oid);
  return root ? root.name : ref.$oid;
}

function slotTable(target, slots) {
  const rows = Object.entries(slots).map(([name, value]) => slotRow(target, name, value));
  const name = el("input", {type: "text", class: "new-slot-name", placeholder: "slot name"});
  const value = el("input", {type: "text", class: "new-slot-value", placeholder: "value as JSON"});
  const result = el("div", {class: "slot-result"});
  const add = el("tr", {}, el("td", {}, name), el("td", {}, value), el("td", {},
    el("button", {type: "button", class: "slot-add", text: "Add", onclick: () => saveSlot(target, name.value.trim(), value.value, result)}), result));
  return el("div", {class: "slots"}, el("h3", {text: "Slots"}),
    el("table", {}, el("tbody", {}, rows, add)));
}

function slotRow(target, name, value) {
  const cell = el("td", {class: "value", text: show(value)});
  const result = el("div", {class: "slot-result"});
  const row = el("tr", {"data-slot": name}, el("td", {class: "slot-name", text: name}), cell,
    el("td", {}, el("button", {type: "button", class: "slot-edit", text: "Edit", onclick: () => {
      const input = el("input", {type: "text", class: "slot-input", value: JSON.stringify(value)});
      cell.replaceChildren(input,
        el("button", {type: "button", class: "slot-save", text: "Save", onclick: () => saveSlot(target, name, input.value, result)}),
        el("button", {type: "button", text: "Cancel", onclick: () => { cell.textContent = show(value); }}));
      input.focus();
    }}), result));
  return row;
}

async function saveSlot(target, name, text, result) {
  let value;
  try { value = JSON.parse(text); } catch (exc) {
    result.className = "slot-result error";
    result.textContent = "not JSON: put text in double quotes (\"Ada\"), numbers, lists and maps as JSON";
    return;
  }
  if (!name) { result.className = "slot-result error"; result.textContent = "give the slot a name"; return; }
  result.className = "slot-result";
  result.textContent = "saving...";
  const reply = await api("/api/request", {command: "set_slot", target, slot: name, value});
  if (reply.status !== "ok") {
    result.className = "slot-result error";
    result.textContent = problem(reply);
    return;
  }
  await openInspector(target);
}

function methodList(target, methods) {
  const own = methods.filter(m => !m.inherited && m.origin !== "system");
  const rest = methods.filter(m => m.inherited || m.origin === "system");
  const item = m => el("li", {"data-method": m.selector},
    el("a", {href: "#", text: m.selector, onclick: e => { e.preventDefault(); openMethod(target, m.selector); }}),
    el("span", {class: "meta", text: "  v" + m.version + "/" + m.versions + " · " + m.origin + " by " + m.author +
      (m.inherited ? " · from " + m.holder : "") + (m.cases ? " · " + m.cases + " tests" : "") + (m.calls ? " · " + m.calls + " calls" : "")}));
  return el("div", {class: "methods"}, el("h3", {text: "Methods"}),
    own.length ? el("ul", {class: "own"}, own.map(item)) : el("p", {class: "empty", text: "No learned or edited methods of its own."}),
    el("details", {}, el("summary", {text: rest.length + " inherited or system methods"}), el("ul", {}, rest.map(item))));
}

async function openMethod(target, selector) {
  batos.method = selector;
  const [source, history] = await Promise.all([
    api("/api/request", {command: "source", target, selector}),
    api("/api/request", {command: "history", target, selector})]);
  const box = $("#method");
  if (!box || batos.target !== target) return;
  if (source.status !== "ok") { box.replaceChildren(el("p", {class: "error", text: problem(source)})); return; }
  const m = source.result;
  const result = el("div", {class: "method-result"});
  const own = m.holder === target;
  const actions = el("div", {class: "actions"},
    el("button", {type: "button", class: "method-edit", text: "Edit", disabled: !own || m.origin === "system",
                  onclick: () => editMethod(target, m, box, result)}),
    el("button", {type: "button", class: "method-relearn", text: "Relearn...", disabled: !own || m.origin === "system",
                  onclick: () => relearn(target, selector, result)}),
    el("button", {type: "button", class: "method-retest", text: "Run its tests", disabled: !(m.tests || []).length,
                  onclick: () => retest(target, selector, result)}),
    el("button", {type: "button", class: "method-remove danger", text: "Remove", disabled: !own || m.origin === "system",
                  onclick: () => removeMethod(target, selector, result)}));
  const versions = history.status === "ok" ? history.result.versions : [];
  const table = el("table", {class: "versions"}, el("tbody", {},
    el("tr", {}, ["version", "author", "date", "change", "why", ""].map(h => el("th", {text: h}))),
    versions.map(v => el("tr", {"data-version": v.version},
      el("td", {text: v.version + (v.current ? " (current)" : "")}), el("td", {text: v.author}), el("td", {text: when(v.created)}),
      el("td", {text: v.change || ""}), el("td", {class: "reason", text: v.reason || ""}),
      el("td", {}, v.current || !own ? null : el("button", {type: "button", class: "method-revert", text: "Revert to this",
        onclick: () => revert(target, selector, v.version, result)}))))));
  const last = batos.lastTestRun[target + "." + selector];
  const calling = el("div", {class: "calling"});
  callForm(target, m, calling);  // drafts.js: call it, and "wrong?" under its answer
  box.replaceChildren(
    el("h3", {class: "method-name", text: selector + "  v" + m.version + "/" + m.versions}),
    el("div", {class: "meta", text: m.origin + " by " + m.author + " · " + when(m.created) + (own ? "" : " · held by " + m.holder)}),
    actions, result, calling,
    el("pre", {class: "code source"}, highlight(m.source || "")),
    el("h3", {text: "Tests (" + (m.tests || []).length + ")"}),
    el("div", {class: "meta test-status", text: last ? last : "each passed when this version was installed"}),
    el("ul", {class: "tests"}, (m.tests || []).map(t => el("li", {class: "test", text: testText(selector, t)}))),
    el("h3", {text: "Versions"}), table);
}

function testText(selector, test) {
  const expect = "raises" in test ? "raises " + test.raises : "result" in test ? show(test.result) : test.type ? test.type : "?";
  return callText(selector, {args: test.args, kwargs: test.kwargs, slots: test.slots}) + " -> " + expect;
}

function editMethod(target, m, box, result) {
  const area = el("textarea", {class: "method-source", rows: Math.max(6, (m.source || "").split("\n").length + 2)});
  area.value = m.source || "";
  const reason = el("input", {type: "text", class: "method-reason", placeholder: "why (kept in the history)"});
  const code = $("pre.source", box);
  const editor = el("div", {class: "editor"}, area, reason,
    el("button", {type: "button", class: "method-save", text: "Try its tests, then save", onclick: async () => {
      result.className = "method-result";
      result.textContent = "trying it on its tests...";
      const body = {command: "set_method", target, selector: m.selector, source: area.value};
      if (reason.value.trim()) body.reason = reason.value.trim();
      const reply = await api("/api/request", body);
      if (reply.status !== "ok") {
        result.className = "method-result error";
        result.textContent = "refused, nothing changed. " + problem(reply);
        return;
      }
      await openInspector(target);
      await openMethod(target, m.selector);
    }}),
    el("button", {type: "button", text: "Cancel", onclick: () => editor.replaceWith(code)}));
  code.replaceWith(editor);
  area.focus();
}

async function relearn(target, selector, result) {
  const reason = window.prompt("Why relearn " + selector + "? (shown to the author)");
  if (reason === null) return;
  result.className = "method-result";
  result.textContent = "relearning (a cycle; its moves show in the Cycles list)...";
  const reply = await api("/api/request", {command: "relearn", target, selector, reason});
  result.className = "method-result " + (reply.status === "ok" ? "ok" : "error");
  result.textContent = reply.status === "ok" ? "relearned by cycle " + reply.result.cycle : problem(reply);
  if (reply.status === "ok" && batos.target === target) { await openInspector(target); await openMethod(target, selector); }
}

async function revert(target, selector, version, result) {
  result.className = "method-result";
  result.textContent = "reverting to version " + version + "...";
  const reply = await api("/api/request", {command: "revert", target, selector, version});
  if (reply.status !== "ok") { result.className = "method-result error"; result.textContent = problem(reply); return; }
  await openInspector(target);
  await openMethod(target, selector);
}

async function removeMethod(target, selector, result) {
  if (!window.confirm("Remove " + selector + " from " + target + "? Its versions stay in the history.")) return;
  const reply = await api("/api/request", {command: "remove_method", target, selector});
  if (reply.status !== "ok") { result.className = "method-result error"; result.textContent = problem(reply); return; }
  await openInspector(target);
}

async function retest(target, selector, result) {
  result.className = "method-result";
  result.textContent = "running every stored test in the jail...";
  const reply = await api("/api/request", {command: "selfcheck", tests: true});
  if (reply.status !== "ok") { result.className = "method-result error"; result.textContent = problem(reply); return; }
  const failures = (reply.result.failures || []).filter(f => f.check === "tests" && f.selector === selector);
  const text = (failures.length ? failures.length + " test(s) failed" : "every test passed") + " at " + new Date().toLocaleTimeString();
  batos.lastTestRun[target + "." + selector] = "last run: " + text;
  result.className = "method-result " + (failures.length ? "error" : "ok");
  result.textContent = text + (failures.length ? "\n" + failures.map(f => JSON.stringify(f)).join("\n") : "");
  const status = $(".test-status");
  if (status) status.textContent = "last run: " + text;
}

async function personaSection(obj) {
  const codex = obj.slots.codex;
  const name = obj.slots.name;
  const model = ((((batos.kernel || {}).models || {}).personas) || {})[name] || {};
  const episodes = await api("/api/request", {command: "search", query: name + " ask", mode: "text", top_k: 5,
                                              filter: {kind: "episode", event: "ask", persona: name}});
  const hits = episodes.status === "ok" ? episodes.result.hits : [];
  return el("div", {class: "persona-codex"},
    el("h3", {text: "Codex"}),
    el("div", {text: "identity: " + (codex.core_identity || "")}),
    el("pre", {class: "system-prompt", text: codex.system_prompt || ""}),
    el("div", {text: "generation: " + JSON.stringify(codex.generation || {})}),
    el("div", {text: "model: " + (model.model || codex.model_ref || "none") + (model.engine ? " on " + model.engine : "") +
      (model.quantization ? " · " + model.quantization : "") + (model.adapter || codex.lora_adapter ? " · adapter " + (model.adapter || codex.lora_adapter) : "") +
      (model.bytes ? " · " + Math.round(model.bytes / 1e6) + " MB" : "")}),
    el("h3", {text: "Recent asks"}),
    hits.length ? el("ul", {class: "episodes"}, hits.map(h => el("li", {text: (h.text || "").slice(0, 300)})))
                : el("p", {class: "empty", text: episodes.status === "ok" ? "No ask episodes yet." : problem(episodes)}));
}

function highlight(source) {  // Python, coloured: keywords, strings, comments, numbers, the def's name
  const pattern = /(#[^\n]*)|("""[\s\S]*?"""|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')|\b(def|return|if|elif|else|for|while|in|not|and|or|is|None|True|False|import|from|class|try|except|finally|raise|with|as|lambda|yield|pass|break|continue|global|nonlocal|assert|del)\b|\b(\d+(?:\.\d+)?)\b/g;
  const fragment = document.createDocumentFragment();
  let last = 0, match, afterDef = false;
  while ((match = pattern.exec(source)) !== null) {
    fragment.append(document.createTextNode(source.slice(last, match.index)));
    const kind = match[1] ? "com" : match[2] ? "str" : match[3] ? "kw" : "num";
    fragment.append(el("span", {class: kind, text: match[0]}));
    last = pattern.lastIndex;
    if (match[3] === "def") {
      const name = /^(\s+)([A-Za-z_]\w*)/.exec(source.slice(last));
      if (name) { fragment.append(document.createTextNode(name[1]), el("span", {class: "def", text: name[2]})); last += name[0].length; pattern.lastIndex = last; }
    }
  }
  fragment.append(document.createTextNode(source.slice(last)));
  return fragment;
}

// --- talk ---------------------------------------------------------------------------------------
let pendingBrief = null;

async function translate(event) {
  event.preventDefault();
  const text = $("#talk-text").value.trim();
  if (!text) return;
  const answerBox = $("#talk-answer");
  answerBox.className = "";
  answerBox.textContent = "translating...";
  const reply = await api("/api/translate", {text});
  if (reply.status !== "ok") { answerBox.className = "error"; answerBox.textContent = problem(reply); return; }
  answerBox.textContent = "";
  pendingBrief = reply.request;
  const box = $("#brief");
  $(".origin", box).textContent = "It means this request (" + reply.origin + ")" + (reply.fallback ? ": " + reply.fallback : "") +
    (reply.notes && reply.notes.length ? " · " + reply.notes.join("; ") : "");
  $(".brief-json", box).textContent = JSON.stringify(reply.request, null, 2);
  box.hidden = false;
  $("#brief-send").focus();
}

async function sendBrief() {
  if (!pendingBrief) return;
  const brief = pendingBrief;
  pendingBrief = null;
  $("#brief").hidden = true;
  const answerBox = $("#talk-answer");
  const said = el("div", {class: "said", text: "sent; working (a cycle's moves show under Cycles)..."});
  answerBox.className = "";
  answerBox.replaceChildren(said, el("div", {class: "stream words"}));
  batos.talking = {persona: brief.command === "ask" ? brief.persona : null};  // whose words stream in here
  const reply = await api("/api/request", brief);
  batos.talking = null;
  const result = reply.result;
  const learning = brief.command === "initiate_cognitive_cycle" || brief.command === "send";
  if (reply.status !== "ok") {
    answerBox.className = "error";
    said.textContent = problem(reply);
    const failed = reply.error || {};
    if (failed.code === "cycle_failed" && failed.cycle)  // the hand-over: its best try, a click away
      answerBox.append(el("button", {type: "button", class: "open-draft", text: "Open its best try (draft)",
                                     onclick: () => openDraft(failed.cycle)}));
  } else {
    answerBox.className = "ok";
    said.textContent = "answer: " + (brief.command === "initiate_cognitive_cycle" && result && "result" in result ? show(result.result)
      : result && typeof result.text === "string" ? result.text : show(result));
    const asked = brief.mission_brief || brief;  // a mission's call is in its brief
    const target = brief.target || brief.target_oid;
    if (learning && target && asked.selector) wrongButton(target, asked.selector, {args: asked.args, kwargs: brief.kwargs}, answerBox);
  }
  rereadWorld();
}

// --- the stream -------------------------------------------------------------------------------
function connectEvents() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + location.host + "/api/events");
  socket.onmessage = message => {
    const data = JSON.parse(message.data);
    if (data.kind === "event") onEvent(data.event);
    else if (data.kind === "link") onLink(data);
    else if (data.kind === "gap") { logLine("gap", data.missed + " event(s) missed; the world view is read again", "gap"); rereadWorld(); }
  };
  socket.onclose = () => {
    setLink("reconnecting", "the inspector's server is not answering; reconnecting...");
    setTimeout(connectEvents, 1000);
  };
}

function setLink(state, text) {
  document.body.dataset.link = state;
  $("#link").textContent = text;
}

function onLink(data) {
  if (data.state === "up") {
    const k = data.status || {};
    setLink("up", "kernel up (pid " + (k.pid || "?") + ")");
    if (data.restarted) { logLine("link", "the kernel restarted: state read again", "gap"); }
    loadWorld();
    if (batos.target) openInspector(batos.target).then(() => batos.method && openMethod(batos.target, batos.method));
  } else if (data.state === "down") {
    setLink("reconnecting", "the kernel is not answering; reconnecting...");
    logLine("link", "the kernel stopped answering", "gap");
  } else {
    setLink("reconnecting", "connecting to the kernel...");
  }
}

function onEvent(event) {
  batos.events += 1;
  if (typeof event.at === "number") {
    batos.latencies.push(performance.timeOrigin + performance.now() - event.at * 1000);
    if (batos.latencies.length > 10000) batos.latencies.shift();
  }
  const topic = String(event.topic || "");
  const parts = topic.split(".");
  logEvent(topic, event);
  if (parts[0] === "cycle") {
    const id = event.cycle || parts[1];
    batos.cycleMoved = Date.now();
    if (parts[2] === "state") {
      if (!batos.cycles.has(id)) cycleStarted(id, event.selector);  // its card now, its receiver when read
      setCycleState(id, event.state, true);
      if (TERMINAL.has(event.state)) rereadWorld();
    } else if (parts[2] === "trial") addTrial(event);
    else if (parts[2] === "question" && event.question) showQuestion(event.question, event.waiting);
    else if (parts[2] === "answered") questionSettled(event);
  } else if (parts[0] === "persona" && parts[2] === "token") {
    personaWords(parts[1], event.text || "");
  } else if (topic === "method.installed" || topic === "method.removed") {
    rereadWorld();
    const where = event.target || event.receiver;
    if (batos.target && (where === batos.target || !where)) refreshInspector();
  } else if (parts[0] === "heartbeat") {
    heartbeatEvent(topic, event);
  } else if (parts[0] === "backup" || parts[0] === "pack") {
    rereadWorld();
  }
}

const refreshInspector = debounce(() => {
  if (!batos.target || document.querySelector(".editor")) return;  // never under a person's typing
  const method = batos.method;
  openInspector(batos.target).then(() => method && openMethod(batos.target, method));
}, 200);

function personaWords(name, text) {
  const card = document.querySelector('[data-persona="' + CSS.escape(name) + '"]');
  if (!card) return;
  card.dataset.state = "generating";
  $(".state", card).textContent = "generating";
  const words = $(".words", card);
  words.textContent = (words.textContent + text).slice(-200);
  const stream = batos.talking && (!batos.talking.persona || batos.talking.persona === name) ? $("#talk-answer .stream") : null;
  if (stream) stream.textContent = (stream.textContent + text).slice(-2000);
  clearTimeout(batos.personaTimers[name]);
  batos.personaTimers[name] = setTimeout(() => { card.dataset.state = "idle"; $(".state", card).textContent = "idle"; }, 3000);
}

// --- the event log ------------------------------------------------------------------------------
function logEvent(topic, event) {
  const body = {};
  for (const [k, v] of Object.entries(event)) if (!["seq", "topic_seq", "at", "topic"].includes(k)) body[k] = v;
  let text = JSON.stringify(body);
  if (text.length > 400) text = text.slice(0, 397) + "...";
  logLine(topic, text);
  $("#event-count").textContent = "(" + batos.events + ")";
}

function logLine(topic, text, kind) {
  const log = $("#log");
  const line = el("div", {class: "line" + (kind ? " " + kind : ""), "data-topic": topic},
    el("span", {class: "time", text: new Date().toLocaleTimeString() + " "}), el("span", {class: "topic", text: topic}), " " + text);
  line.hidden = hiddenTopic(topic);
  const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  log.append(line);
  while (log.children.length > 500) log.firstChild.remove();
  if (stick) log.scrollTop = log.scrollHeight;
}

function hiddenTopic(topic) {
  const prefix = $("#log-filter").value.trim();
  if (prefix && !topic.startsWith(prefix)) return true;
  for (const box of document.querySelectorAll("[data-hide]")) if (box.checked && topic.startsWith(box.dataset.hide)) return true;
  return false;
}

function refilterLog() {
  for (const line of document.querySelectorAll("#log .line")) line.hidden = hiddenTopic(line.dataset.topic);
}

// --- heartbeat and upkeep ------------------------------------------------------------------------
function drawHeartbeat() {  // status.heartbeat as a person reads it; the events below it stay
  const beat = (batos.kernel || {}).heartbeat || {};
  const box = $("#heartbeat");
  if (!beat.enabled) { box.replaceChildren(el("span", {class: "empty", text: "off (BATOS_HEARTBEAT_EVERY=0)"})); return; }
  const now = Date.now() / 1000;
  const next = typeof beat.next_beat === "number" && !(beat.last_beat >= beat.next_beat)
    ? clockTime(beat.next_beat, now) : "after the beat under way";
  const summary = el("div", {class: "beat-summary"},
    el("div", {class: "beat-when", text: "every " + duration(beat.every) + " · " + (beat.beats || 0) + " beat" +
      (beat.beats === 1 ? "" : "s") + " · last " + (beat.last_beat ? clockTime(beat.last_beat, now) : "none yet") + " · next " + next}),
    el("div", {class: "beat-budget", text: "budget this hour: " + budgetText(beat.budget)}),
    (beat.plan || []).length ? el("div", {class: "beat-plan"}, "next beat: ",
      el("ul", {}, beat.plan.map(step => el("li", {text: String(step)})))) : null,
    (beat.last || []).length ? el("div", {class: "beat-last"}, "done lately: ",
      el("ul", {}, beat.last.slice().reverse().map(entry => el("li", {text: actionText(entry, now)})))) : null,
    (beat.regressions || []).length ? el("div", {class: "beat-regressions error", text: "regressions: " +
      beat.regressions.map(regressionText).join("; ")}) : null);
  const events = $(".beat-events", box) || el("div", {class: "beat-events"});
  box.replaceChildren(summary, events);
}

function budgetText(budget) {  // "2 of 12 actions, 40 s of 10 min of model time"
  const b = budget || {};
  return (b.runs_used ?? "?") + " of " + (b.runs_per_hour ?? "?") + " actions, " + duration(b.model_seconds_used) +
    " of " + duration(b.model_seconds_per_hour) + " of model time";
}

function actionText(entry, now) {  // one action a beat took: "12:25:21, 3 min ago: selfcheck ok in 0.4 s (methods 3, cases 7)"
  const shown = new Set(["action", "outcome", "at", "seconds", "why", "error"]);
  const details = Object.entries(entry).filter(([k]) => !shown.has(k)).map(([k, v]) => k + " " + (typeof v === "object" ? show(v) : v));
  return (typeof entry.at === "number" ? clockTime(entry.at, now) + ": " : "") + entry.action + " " + entry.outcome +
    (typeof entry.seconds === "number" ? " in " + duration(entry.seconds) : "") + (entry.why ? " (" + entry.why + ")" : "") +
    (entry.error ? ": " + entry.error : "") + (details.length ? " (" + details.join(", ") + ")" : "");
}

function regressionText(failure) {
  const f = failure || {};
  return (f.object || "?") + "." + (f.selector || "?") + (f.case ? " " + f.case : "") + (f.message ? ": " + f.message : "");
}

function heartbeatEvent(topic, event) {
  const box = $("#heartbeat");
  let events = $(".beat-events", box);
  if (!events) { events = el("div", {class: "beat-events"}); box.append(events); }
  let text;
  if (topic === "heartbeat.beat") text = "beat " + event.beat + " began; budget this hour: " + budgetText(event.budget);
  else if (topic === "heartbeat.regression") text = "regression: " + regressionText(event);
  else if (topic === "heartbeat.retrying") text = "retrying " + event.selector + " (cycle " + event.cycle + ") since " + (event.because || []).join(", ");
  else if (event.action) text = actionText(event);
  else text = topic.slice(10) + ": " + JSON.stringify(event).slice(0, 200);
  events.prepend(el("div", {class: topic === "heartbeat.regression" ? "error" : "", text}));
  while (events.children.length > 8) events.lastChild.remove();
  if (topic === "heartbeat.beat" || event.action) rereadWorld();  // the summary's times, plan and budget
}

function drawUpkeep() {  // status.upkeep as a person reads it: sizes in MB, times as the heartbeat panel shows them
  const upkeep = (batos.kernel || {}).upkeep || {};
  const now = Date.now() / 1000;
  const failed = upkeep.last_backup_failure;
  $("#upkeep").replaceChildren(...[
    el("div", {class: "upkeep-image", text: "image " + megabytes(upkeep.image_bytes)}),
    el("div", {class: "upkeep-backup", text: "last backup: " + (upkeep.last_backup ? backupText(upkeep.last_backup, now) : "none yet") +
      (typeof upkeep.next_backup_at === "number" ? " · next " + clockTime(upkeep.next_backup_at, now) : "")}),
    failed ? el("div", {class: "upkeep-failure error", text: "backup failed " + clockTime(failed.time, now) +
      (failed.origin ? " (" + failed.origin + ")" : "") + (failed.error ? ": " + failed.error : "")}) : null,
    el("div", {class: "upkeep-pack", text: "pack: " + packText(upkeep.pack || {}, now)})].filter(Boolean));
}

function megabytes(bytes) {  // 12345678 -> "12.3 MB"
  return typeof bytes === "number" ? (bytes / 1e6).toFixed(1) + " MB" : "?";
}

function backupText(backup, now) {  // the chronicle's last backup: "12:40:20, 2 h ago (incremental, 1.2 MB, scheduled)"
  const what = [backup.kind, typeof backup.size === "number" ? megabytes(backup.size) : null, String(backup.reason || "").slice(0, 80)]
    .filter(Boolean).join(", ");
  return clockTime(backup.time, now) + (what ? " (" + what + ")" : "");
}

function packText(pack, now) {  // "running: copying 3/7", "last 12:40:20, 2 h ago: packed, 12.3 MB → 9.8 MB in 1.2 s", "never"
  if (pack.running) return "running: " + (pack.running.stage || "") + (pack.running.total ? " " + pack.running.done + "/" + pack.running.total : "");
  const last = pack.last;
  if (!last) return "never";
  const sizes = typeof last.size_before === "number" && typeof last.size_after === "number"
    ? ", " + megabytes(last.size_before) + " → " + megabytes(last.size_after) : "";
  return "last " + clockTime(last.time, now) + ": " + (last.outcome || "done") + sizes +
    (typeof last.seconds === "number" ? " in " + duration(last.seconds) : "") + (last.error ? ": " + last.error : "");
}

// --- start ------------------------------------------------------------------------------------------
$("#talk").addEventListener("submit", translate);
$("#brief-send").addEventListener("click", sendBrief);
$("#brief-cancel").addEventListener("click", () => { pendingBrief = null; $("#brief").hidden = true; });
$("#root-filter").addEventListener("input", filterRoots);
$("#log-filter").addEventListener("input", refilterLog);
for (const box of document.querySelectorAll("[data-hide]")) box.addEventListener("change", refilterLog);
connectEvents();
loadWorld();
setInterval(() => { if (batos.kernel) { drawHeartbeat(); drawUpkeep(); } }, 15000);  // "in 3 min" stays true between reads
setInterval(pollModelWork, 3000);
