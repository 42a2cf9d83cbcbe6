/* facilitation-kit participant page: what the page shows.
 *
 * The timer, the screens (loading, join, main, replaced) and render(), the connection
 * status line, the join screen, the activity card, "My contributions" with take-back,
 * and the settings panel.
 */
(function () {
  "use strict";
  var FK = window.FK = window.FK || {};
  var $ = FK.$, announce = FK.announce, app = FK.app, clear = FK.clear, conn = FK.conn, el = FK.el,
      fieldErrorText = FK.fieldErrorText, findOp = FK.findOp, focusSoon = FK.focusSoon,
      i18n = FK.i18n, isObj = FK.isObj, renderField = FK.renderField, retryFailed = FK.retryFailed,
      saveRoom = FK.saveRoom, sendFrame = FK.sendFrame, show = FK.show, showErr = FK.showErr,
      t = FK.t, takeBack = FK.takeBack, ui = FK.ui;
  function pump() { return FK.pump(); }

  // ------------------------------------------------------------------ consent at join
  // Protocol extension: welcome.session.consent is {"text", "required"} or null. The
  // answer is {"type": "consent", "agree": true|false}; "no" makes a watcher, who reads
  // but cannot send. A resumed participant's welcome carries consented_at (or watching).
  function consentInfo() {
    return app.session && isObj(app.session.consent) ? app.session.consent : null;
  }

  function consentAsked() {
    var c = consentInfo();
    return !!(c && app.participant && !app.participant.consented_at && !app.participant.watching);
  }

  function isWatching() {
    return !!(consentInfo() && app.participant && !app.participant.consented_at && app.participant.watching);
  }

  function renderConsent() {
    var c = consentInfo();
    var box = $("consent-text");
    clear(box);
    var parts = String(c && c.text || "").split(/\n\s*\n/);
    for (var i = 0; i < parts.length; i++) {
      if (parts[i].trim()) box.appendChild(el("p", { text: parts[i].trim() }));
    }
  }

  function answerConsent(agree) {
    if (!sendFrame({ type: "consent", agree: agree })) return;
    $("consent-yes").disabled = true;
    $("consent-no").disabled = true;
  }

  function onConsent(msg) {
    $("consent-yes").disabled = false;
    $("consent-no").disabled = false;
    if (!app.participant) return;
    if (msg.agreed) {
      app.participant.consented_at = msg.at;
      delete app.participant.watching;
    } else {
      delete app.participant.consented_at;
      app.participant.watching = true;
    }
    var wasAsking = app.screen === "consent";
    showScreen("main");
    render();
    pump();
    if (wasAsking) {
      focusSoon($("activity-h"));
      announce(msg.agreed ? t("joined") : t("watching"));
    }
  }

  function consentNeeded() {
    if (app.participant) { delete app.participant.consented_at; }
    showScreen("consent");
    focusSoon($("consent-h"));
  }

  function renderWatching() {
    var watching = isWatching();
    show($("watching"), watching);
    if (watching) show($("activity-form"), false);
  }


  // ------------------------------------------------------------------ timer
  var timer = { handle: null, lastAnnounced: null };

  function restartTimer() {
    window.clearInterval(timer.handle);
    timer.handle = null;
    if (app.activity && app.activity.ends_at && app.activity.state !== "closed") {
      timer.handle = window.setInterval(renderTimer, 1000);
    }
    renderTimer();
  }

  function secondsLeft() {
    var ends = Date.parse(app.activity.ends_at);
    if (isNaN(ends)) return null;
    return Math.max(0, Math.ceil((ends - (Date.now() + app.clockOffset)) / 1000));
  }

  function renderTimer() {
    var node = $("activity-timer");
    var a = app.activity;
    if (!a || !a.ends_at || a.state === "closed") { show(node, false); return; }
    var left = secondsLeft();
    if (left === null) { show(node, false); return; }
    show(node, true);
    var m = Math.floor(left / 60), s = left % 60;
    node.textContent = left > 0 ? t("time_left", { time: m + ":" + (s < 10 ? "0" : "") + s }) : t("time_up");
    node.className = "timer" + (left <= 30 ? " timer-low" : "");
    var mark = left === 0 ? 0 : left <= 60 ? 60 : null;
    if (mark !== null && timer.lastAnnounced !== a.id + ":" + mark) {
      timer.lastAnnounced = a.id + ":" + mark;
      announce(node.textContent);
    }
  }

  // ------------------------------------------------------------------ rendering

  function showScreen(name) {
    app.screen = name;
    var names = ["loading", "join", "consent", "main", "replaced", "erased"];
    for (var i = 0; i < names.length; i++) show($("screen-" + names[i]), names[i] === name);
    show($("settings-btn"), name === "main");
    if (name === "join") renderJoin();
    if (name === "consent") renderConsent();
    if (name === "replaced") focusSoon($("replaced-h"));
    if (name === "erased") focusSoon($("erased-h"));
  }

  function render() {
    renderStatus();
    if (app.session && app.session.title) {
      $("session-title").textContent = app.session.title;
      document.title = app.session.title;
    }
    if (app.screen === "join") renderJoin();
    if (app.screen === "consent") renderConsent();
    if (app.screen === "main") {
      renderActivity();
      renderWatching();
      renderMine();
      if (ui.settingsOpen) renderRoles($("set-roles"), "set-role", app.profile.role, true);
    }
  }

  function queuedCount() {
    var n = 0;
    for (var i = 0; i < app.outbox.length; i++) if (!app.outbox[i].failed) n++;
    return n;
  }

  function renderStatus() {
    var node = $("conn");
    var n = queuedCount();
    var s = conn.status;
    var text;
    if (s === "on") text = n ? t("conn_sending", { count: n }) : t("conn_online");
    else if (s === "wait") text = n ? t("conn_reconnecting_queued", { count: n }) : t("conn_reconnecting");
    else text = n ? t("conn_offline_queued", { count: n }) : t("conn_offline");
    if (conn.replaced) text = t("conn_replaced");
    node.className = "conn conn-" + s;
    var label = $("conn-text");
    if (label.textContent !== text) label.textContent = text;
    label.setAttribute("data-state", s);
  }

  // --- join screen
  function renderJoin() {
    var title = app.session && app.session.title;
    $("join-workshop").textContent = title ? t("join_workshop", { title: title }) : "";
    show($("join-workshop"), !!title);
    var needRoom = !app.room || !!app.roomError;
    show($("room-field"), needRoom);
    if (needRoom && !$("join-room").value) $("join-room").value = app.room;
    showErr($("join-room-err"), app.roomError);
    $("join-room").setAttribute("aria-invalid", app.roomError ? "true" : "false");
    if (!$("join-name").value && app.profile.name) $("join-name").value = app.profile.name;
    var picked = checkedValue($("join-roles"), app.profile.role);
    renderRoles($("join-roles"), "join-role", picked, false);
    showErr($("join-err"), app.joinError);
  }

  function checkedValue(container, dflt) {
    var c = container.querySelector("input:checked");
    return c ? c.value : dflt;
  }

  function renderRoles(container, name, selected, keepIfSame) {
    var roles = (app.session && Array.isArray(app.session.roles)) ? app.session.roles : [];
    var signature = i18n.lang + "|" + roles.join("\u0000") + "|" + roles.map(roleLabel).join("\u0000");
    if (container.getAttribute("data-sig") === signature) {
      var inputs = container.querySelectorAll("input");
      if (!keepIfSame) {
        for (var k = 0; k < inputs.length; k++) inputs[k].checked = inputs[k].value === (selected || "");
      }
      return;
    }
    container.setAttribute("data-sig", signature);
    clear(container);
    var all = roles.concat([""]);
    for (var i = 0; i < all.length; i++) {
      var value = all[i];
      var id = name + "-" + i;
      container.appendChild(el("label", { className: "choice", "for": id }, [
        el("input", { type: "radio", id: id, name: name, value: value, checked: (selected || "") === value }),
        el("span", { className: "choice-text", text: value === "" ? t("role_none") : roleLabel(value, i) })
      ]));
    }
  }

  // A role is sent as its name; it is shown in the phone's language when the host gives
  // labels (welcome/profile session.role_labels, /api/session role_labels by language).
  function roleLabel(value, i) {
    var by = app.roleLabels && app.roleLabels[i18n.lang];
    if (Array.isArray(by) && typeof by[i] === "string") return by[i];
    var s = app.session;
    if (s && s.labelsLang === i18n.lang && Array.isArray(s.role_labels) && typeof s.role_labels[i] === "string") {
      return s.role_labels[i];
    }
    return value;
  }

  // --- activity
  function renderActivity() {
    var a = app.activity;
    var heading = $("activity-h");
    var stateNode = $("activity-state");
    var prompt = $("activity-prompt");
    var waiting = $("activity-waiting");
    var form = $("activity-form");
    if (!a) {
      heading.textContent = t("waiting_title");
      show(stateNode, false);
      show(prompt, false);
      waiting.textContent = t("waiting_text");
      show(waiting, true);
      show(form, false);
      app.renderedForm = null;
      return;
    }
    heading.textContent = a.title || t("activity");
    prompt.textContent = a.prompt || "";
    show(prompt, !!a.prompt);
    // Extension: a break or an input (ACTIVITY "kind") takes no answers: a plain screen.
    if (a.kind === "break" || a.kind === "input") {
      show(stateNode, false);
      waiting.textContent = a.kind === "input" ? t("input_text")
        : typeof a.until === "string" && a.until ? t("break_until", { time: a.until }) : t("break_soon");
      waiting.className = "step-text";
      show(waiting, true);
      show(form, false);
      app.renderedForm = null;
      return;
    }
    waiting.className = "muted";
    show(stateNode, true);
    if (a.state === "open") {
      stateNode.textContent = t("state_open");
      stateNode.className = "state state-open";
    } else if (a.state === "closed") {
      stateNode.textContent = t("state_closed");
      stateNode.className = "state state-closed";
    } else {
      stateNode.textContent = t("state_pending");
      stateNode.className = "state";
    }
    show(waiting, a.state !== "open");
    waiting.textContent = a.state === "closed" ? t("closed_text") : t("pending_text");
    var open = a.state === "open";
    show(form, open);
    if (!open) { app.renderedForm = null; return; }
    var fields = (isObj(a.form) && Array.isArray(a.form.fields)) ? a.form.fields : [];
    var sig = a.id + "|" + i18n.lang + "|" + JSON.stringify(fields);
    if (app.renderedForm !== sig) {
      app.renderedForm = sig;
      var box = $("fields");
      clear(box);
      for (var i = 0; i < fields.length; i++) {
        if (isObj(fields[i])) box.appendChild(renderField(fields[i], i));
      }
    }
    renderFieldErrors(fields);
    showErr($("form-err"), app.formError);
  }

  function renderFieldErrors(fields) {
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      var node = $("f" + i + "-err");
      if (!node) continue;
      var msg = app.fieldErrors[f.name];
      showErr(node, msg ? fieldErrorText(msg) : "");
      var inputs = $("f" + i).querySelectorAll("input, textarea");
      for (var k = 0; k < inputs.length; k++) {
        if (inputs[k].type === "text" || inputs[k].tagName === "TEXTAREA") {
          inputs[k].setAttribute("aria-invalid", msg ? "true" : "false");
        }
      }
      var group = $("f" + i + "-group");
      if (group) group.setAttribute("aria-invalid", msg ? "true" : "false");
    }
  }

  // --- my contributions
  function labelFor(list, key, value) {
    if (!Array.isArray(list)) return String(value);
    for (var i = 0; i < list.length; i++) {
      if (isObj(list[i]) && String(list[i][key]) === String(value)) return String(list[i].label);
    }
    return String(value);
  }

  function describeValue(f, v) {
    if (!f) return typeof v === "string" ? v : JSON.stringify(v);
    if (f.kind === "text") return String(v);
    if (f.kind === "choice") {
      return Array.isArray(v) ? v.map(function (x) { return labelFor(f.options, "value", x); }).join(", ")
        : labelFor(f.options, "value", v);
    }
    if (f.kind === "scale") {
      if (v === null) return isObj(f.skip) && f.skip.label ? String(f.skip.label) : "–";
      var end = v === f.min && f.min_label ? " (" + f.min_label + ")" : v === f.max && f.max_label ? " (" + f.max_label + ")" : "";
      return String(v) + " / " + f.max + end;
    }
    if (f.kind === "vote" && isObj(v)) {
      return Object.keys(v).map(function (k) { return labelFor(f.items, "id", k) + ": " + v[k]; }).join("\n");
    }
    if (f.kind === "matrix" && isObj(v)) {
      return Object.keys(v).map(function (k) {
        return labelFor(f.rows, "id", k) + ": " + labelFor(f.columns, "value", v[k]);
      }).join("\n");
    }
    return typeof v === "string" ? v : JSON.stringify(v);
  }

  function renderMine() {
    var list = $("mine-list");
    var a = app.activity;
    var fields = (a && isObj(a.form) && Array.isArray(a.form.fields)) ? a.form.fields : [];
    var byName = {};
    for (var i = 0; i < fields.length; i++) if (isObj(fields[i])) byName[fields[i].name] = fields[i];
    var entries = [];
    var seen = {};
    for (var j = 0; j < app.mine.length; j++) {
      var c = app.mine[j];
      seen[c.id] = true;
      entries.push({ id: c.id, data: c.data, hidden: !!c.hidden, op: null, other: false });
    }
    for (var k = 0; k < app.outbox.length; k++) {
      var op = app.outbox[k];
      if (op.kind !== "submit" || seen[op.id]) continue;
      entries.push({ id: op.id, data: op.data, hidden: false, op: op, other: !a || op.activity !== a.id });
    }
    var restoreFocus = document.activeElement && list.contains(document.activeElement)
      ? document.activeElement.getAttribute("data-focus") : null;
    clear(list);
    show($("mine-empty"), entries.length === 0);
    // a break or an input takes no answers: no empty "My contributions" under it
    show($("mine"), entries.length > 0 || !(a && (a.kind === "break" || a.kind === "input")));
    for (var m = 0; m < entries.length; m++) list.appendChild(renderMineItem(entries[m], byName));
    if (restoreFocus) {
      var again = list.querySelector('[data-focus="' + restoreFocus + '"]');
      if (again) again.focus();
    }
  }

  function renderMineItem(e, byName) {
    var withdrawing = !!findOp("withdraw", e.id);
    var status, statusClass;
    if (e.op && e.op.failed) { status = t("status_failed", { reason: e.op.error || t("err_generic") }); statusClass = "failed"; }
    else if (e.op) { status = conn.joined ? t("status_sending") : t("status_queued"); statusClass = "sending"; }
    else if (withdrawing) { status = t("status_withdrawing"); statusClass = "sending"; }
    else if (e.hidden) { status = t("status_hidden"); statusClass = "hidden"; }
    else { status = t("status_saved"); statusClass = "saved"; }
    var dl = el("dl");
    var data = isObj(e.data) ? e.data : {};
    for (var name in data) {
      if (!data.hasOwnProperty(name)) continue;
      var f = byName[name];
      dl.appendChild(el("dt", { text: f ? (f.label || name) : name }));
      dl.appendChild(el("dd", { text: describeValue(e.other ? null : f, data[name]) }));
    }
    var item = el("li", { className: "mine-item", "data-id": e.id }, [
      el("p", { className: "status status-" + statusClass, tabindex: "-1", "data-focus": "status-" + e.id }, [status]),
      e.other ? el("p", { className: "muted", text: t("other_activity") }) : null,
      dl
    ]);
    var actions = el("div", { className: "actions" });
    if (e.op && e.op.failed) {
      actions.appendChild(el("button", { type: "button", className: "btn", "data-focus": "retry-" + e.id,
        onclick: function () { retryFailed(e.id); } }, [t("retry")]));
      actions.appendChild(el("button", { type: "button", className: "btn btn-danger", "data-focus": "drop-" + e.id,
        onclick: function () { takeBack(e.id); } }, [t("remove")]));
      item.appendChild(actions);
      return item;
    }
    if (withdrawing) return item;
    if (app.confirming === e.id) {
      var qid = "confirm-" + e.id;
      item.appendChild(el("div", { className: "confirm", role: "group", "aria-labelledby": qid }, [
        el("p", { id: qid, text: t("confirm_take_back") }),
        el("div", { className: "actions" }, [
          el("button", { type: "button", className: "btn btn-danger", "data-focus": "yes-" + e.id, "data-action": "confirm",
            onclick: function () { takeBack(e.id); focusSoon($("mine-h")); } }, [t("confirm_yes")]),
          el("button", { type: "button", className: "btn", "data-focus": "no-" + e.id,
            onclick: function () { app.confirming = null; renderMine(); focusBack(e.id); } }, [t("confirm_no")])
        ])
      ]));
    } else {
      actions.appendChild(el("button", { type: "button", className: "btn btn-danger", "data-focus": "take-" + e.id,
        "data-action": "take-back",
        onclick: function () {
          app.confirming = e.id;
          renderMine();
          var yes = $("mine-list").querySelector('[data-focus="yes-' + e.id + '"]');
          if (yes) yes.focus();
        } }, [t("take_back")]));
      item.appendChild(actions);
    }
    return item;
  }

  function focusBack(id) {
    var b = $("mine-list").querySelector('[data-focus="take-' + id + '"]');
    if (b) b.focus();
  }

  // ------------------------------------------------------------------ settings
  function openSettings(open) {
    ui.settingsOpen = open;
    show($("settings"), open);
    $("settings-btn").setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      $("set-name").value = app.profile.name || "";
      $("set-roles").removeAttribute("data-sig");
      renderRoles($("set-roles"), "set-role", app.profile.role, false);
      showErr($("set-role-err"), "");
      showErr($("set-name-err"), "");
      $("set-lang").value = i18n.lang;
      focusSoon($("settings-h"));
    } else {
      focusSoon($("settings-btn"));
    }
  }

  function onSaveSettings(ev) {
    ev.preventDefault();
    var name = $("set-name").value.trim();
    var role = checkedValue($("set-roles"), "");
    app.profile.name = name;
    app.profile.role = role;
    app.profile.lang = i18n.lang;
    app.profile.dirty = true;
    saveRoom();
    if (conn.joined && sendFrame({ type: "profile", name: name, role: role, lang: i18n.lang })) {
      ui.settingsSaving = true;
    } else {
      openSettings(false);
      announce(t("settings_saved_offline"));
    }
  }

  // Shared with the other files.
  FK.answerConsent = answerConsent;
  FK.checkedValue = checkedValue;
  FK.consentAsked = consentAsked;
  FK.consentNeeded = consentNeeded;
  FK.onConsent = onConsent;
  FK.onSaveSettings = onSaveSettings;
  FK.openSettings = openSettings;
  FK.render = render;
  FK.renderActivity = renderActivity;
  FK.renderJoin = renderJoin;
  FK.renderStatus = renderStatus;
  FK.restartTimer = restartTimer;
  FK.showScreen = showScreen;
})();
