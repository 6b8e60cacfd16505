// BAT OS web inspector: the hand-over of failed cycles (drafts) and answers the person corrects ("wrong?").
// Uses app.js's helpers ($, el, api, problem, show, callText, outcomeText, highlight, openInspector, loadWorld).
// Text from the image is always set with textContent: nothing the image holds becomes markup.
"use strict";

// --- what the person types -----------------------------------------------------------------------
function parseAnswer(text) {  // "4" -> {result: 4}; "raises ValueError" -> {raises}; "G.H." -> {result: "G.H."}
  const typed = (text || "").trim();
  if (!typed) return {error: "type the right answer first"};
  const raised = /^raises\s+([A-Za-z_][A-Za-z0-9_]*)$/.exec(typed);
  if (raised) return {raises: raised[1]};
  try { return {result: JSON.parse(typed)}; } catch (exc) { /* a plain answer is a plain answer: text */ }
  const quoted = /^'(.*)'$/s.exec(typed);
  return {result: quoted ? quoted[1] : typed};
}

function parseArgs(text) {  // "[95, 2]" -> [95, 2]; "95" -> [95]; "" -> []
  const typed = (text || "").trim();
  if (!typed) return {args: []};
  try {
    const value = JSON.parse(typed);
    return {args: Array.isArray(value) ? value : [value]};
  } catch (exc) {
    return {error: "the arguments as JSON, e.g. [95] or [\"Ada King\", 2]"};
  }
}

function rootName(oid) {  // a receiver's oid as the world view names it
  const root = ((batos.world || {}).roots || []).find(r => r.oid === oid);
  return root ? root.name : oid;
}

function say(box, kind, text) {
  box.className = box.className.split(" ")[0] + (kind ? " " + kind : "");
  box.textContent = text;
}

// --- drafts ------------------------------------------------------------------------------------------
async function loadDrafts() {
  const reply = await api("/api/request", {command: "drafts", limit: 50});
  const box = $("#drafts");
  if (!box || reply.status !== "ok") return;
  const drafts = reply.result.drafts || [];
  $("#draft-count").textContent = reply.result.total ? "(" + reply.result.total + ")" : "";
  box.replaceChildren(...(drafts.length ? drafts.map(d => el("div", {class: "card draft", "data-draft": d.cycle, "data-state": "failed",
      onclick: () => openDraft(d.cycle)},
    el("div", {class: "name", text: d.cycle + ": " + d.selector}),
    el("div", {class: "meta", text: "on " + rootName(d.receiver) + " · best try of a failed cycle"}),
    el("div", {class: "meta why", text: (d.reasons || []).slice(-1)[0] || ""})))
    : [el("p", {class: "empty", text: "No failed cycle waits for you."})]));
}

async function openDraft(cycleId) {
  batos.target = null;
  batos.method = null;
  batos.draft = cycleId;
  const pane = $("#inspector");
  pane.dataset.target = "";
  pane.replaceChildren(el("p", {class: "meta", text: "trying the draft of " + cycleId + " on your calls..."}));
  const reply = await api("/api/request", {command: "draft", cycle: cycleId});
  if (batos.draft !== cycleId) return;
  if (reply.status !== "ok") { pane.replaceChildren(el("p", {class: "error", text: problem(reply)})); return; }
  const d = reply.result;
  const result = el("div", {class: "draft-result"});
  const area = el("textarea", {class: "draft-source", rows: Math.max(6, d.code.split("\n").length + 2)});
  area.value = d.code;
  const args = el("input", {type: "text", class: "example-args", placeholder: "arguments as JSON, e.g. [95]"});
  const wanted = el("input", {type: "text", class: "example-answer", placeholder: "its answer, e.g. 4, \"G.H.\" or raises ValueError"});
  if (d.failing && d.failing.length) args.value = JSON.stringify(d.failing[0].call.args || []);
  else if (d.unsure) args.value = JSON.stringify(d.unsure.call.args || []);
  pane.replaceChildren(
    el("h2", {class: "inspected", text: "Draft of " + d.selector}, el("span", {class: "count", text: "  cycle " + d.cycle + " on " + rootName(d.receiver)})),
    el("div", {class: "meta", text: "The cycle failed; this is its best try" + (d.author ? " (by " + d.author + ")" : "") +
      ". Give an example, fix it, or drop it."}),
    el("div", {class: "meta why", text: (d.reasons || []).slice(-1)[0] || ""}),
    el("h3", {text: d.failing.length ? "It gets " + d.failing.length + " of your " + d.calls.length + " calls wrong" :
                    "It holds your " + d.calls.length + " call" + (d.calls.length === 1 ? "" : "s")}),
    el("ul", {class: "failing"}, d.failing.map(f => el("li", {class: "failing-call"},
      callText(d.selector, f.call) + " should give " + outcomeText(f.wanted), el("div", {class: "meta", text: f.why || ""})))),
    d.unsure ? el("div", {class: "unsure", text: "Nobody answered: " + callText(d.selector, d.unsure.call) + ": " +
                          (d.unsure.choices || []).map(outcomeText).join(" or ") + "?"}) : null,
    el("div", {class: "editor draft-editor"}, area,
      el("div", {class: "actions"},
        el("button", {type: "button", class: "draft-save", text: "Try it on your calls, then install",
                      onclick: () => editDraft(d, area.value, result)}),
        el("button", {type: "button", class: "draft-drop danger", text: "Drop it", onclick: () => dropDraft(d, result)}))),
    el("h3", {text: "Or give an example and let the cycle go on"}),
    el("div", {class: "example"}, args, wanted,
      el("button", {type: "button", class: "example-send", text: "Give this example",
                    onclick: () => giveExample(d, args.value, wanted.value, result)})),
    result);
  pane.dataset.target = "draft:" + d.cycle;
}

async function editDraft(d, source, result) {
  say(result, "", "trying your edit on every call you answered...");
  const reply = await api("/api/request", {command: "draft_edit", cycle: d.cycle, source});
  if (reply.status !== "ok") { say(result, "error", "refused, nothing changed. " + problem(reply)); return; }
  say(result, "ok", "installed " + d.selector + " v" + reply.result.version + " with your " + (reply.result.cases_run || 0) + " calls as its tests");
  batos.draft = null;
  await loadWorld();
}

async function dropDraft(d, result) {
  if (!window.confirm("Drop the draft of " + d.selector + "? The cycle keeps it; it is listed no more.")) return;
  const reply = await api("/api/request", {command: "draft_drop", cycle: d.cycle});
  if (reply.status !== "ok") { say(result, "error", problem(reply)); return; }
  batos.draft = null;
  $("#inspector").replaceChildren(el("p", {class: "empty ok", text: "Dropped the draft of " + d.selector + " (cycle " + d.cycle + ")."}));
  await loadDrafts();
}

async function giveExample(d, argsText, answerText, result) {
  const args = parseArgs(argsText);
  const answer = parseAnswer(answerText);
  if (args.error || answer.error) { say(result, "error", args.error || answer.error); return; }
  say(result, "", "the cycle goes on with your example (its moves show under Cycles)...");
  const reply = await api("/api/request", {command: "draft_example", cycle: d.cycle, args: args.args, ...answer});
  if (reply.status !== "ok") { say(result, "error", problem(reply)); await loadDrafts(); return; }
  say(result, "ok", "learned: " + callText(d.selector, {args: args.args}) + " now answers " + show(reply.result.result));
  await loadWorld();
}

// --- answers the person corrects --------------------------------------------------------------------
function wrongButton(target, selector, call, box) {  // "wrong?" under an answer: the right one becomes a kept test
  const result = el("div", {class: "wrong-result"});
  const form = el("div", {class: "wrong-form", hidden: true});
  const right = el("input", {type: "text", class: "wrong-answer", placeholder: "the right answer, e.g. 4, \"A.K.L.\" or raises ValueError"});
  form.append(right, el("button", {type: "button", class: "wrong-send", text: "Correct it", onclick: async () => {
    const answer = parseAnswer(right.value);
    if (answer.error) { say(result, "error", answer.error); return; }
    say(result, "", "relearning " + selector + " with your answer kept as its test (a cycle)...");
    const reply = await api("/api/request", {command: "correct", target, selector, args: call.args || [], kwargs: call.kwargs || {}, ...answer});
    if (reply.status !== "ok") { say(result, "error", "nothing changed. " + problem(reply)); return; }
    say(result, "ok", "relearned by cycle " + reply.result.cycle + ": " + callText(selector, call) + " now answers " + show(reply.result.result));
    if (batos.target === target) { await openInspector(target); await openMethod(target, selector); }
  }}));
  box.append(el("button", {type: "button", class: "wrong", text: "wrong?", onclick: () => { form.hidden = false; right.focus(); }}), form, result);
}

function callForm(target, m, box) {  // a method's view: call it here, see its answer, say it is wrong
  const args = el("input", {type: "text", class: "call-args", placeholder: "arguments as JSON, e.g. [2] (none: empty)"});
  const answer = el("div", {class: "call-answer"});
  box.append(el("div", {class: "call-form"}, args, el("button", {type: "button", class: "call-send", text: "Call it", onclick: async () => {
    const parsed = parseArgs(args.value);
    if (parsed.error) { answer.replaceChildren(el("div", {class: "error", text: parsed.error})); return; }
    answer.replaceChildren(el("div", {class: "meta", text: "calling..."}));
    const reply = await api("/api/request", {command: "send", target, selector: m.selector, args: parsed.args, learn: false});
    const said = reply.status === "ok" ? el("div", {class: "said ok", text: callText(m.selector, {args: parsed.args}) + " -> " + show(reply.result)})
      : el("div", {class: "said error", text: problem(reply)});
    answer.replaceChildren(said);
    if (m.holder === target && m.origin !== "system") wrongButton(target, m.selector, {args: parsed.args}, answer);
  }})), answer);
}
