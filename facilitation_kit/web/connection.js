/* facilitation-kit participant page: the connection to the host, the outbox, and the
 * protocol messages (wire protocol v1, docs/protocol.md).
 *
 * connect/reconnect with backoff and a watchdog, sending frames; the outbox (every
 * submission and take-back waits in localStorage until the host acks it); handling
 * welcome, activity, sync, ack, profile and error messages from the host.
 */
(function () {
  "use strict";
  var FK = window.FK = window.FK || {};
  var $ = FK.$, alertText = FK.alertText, announce = FK.announce, app = FK.app, copy = FK.copy,
      dropOps = FK.dropOps, findOp = FK.findOp, focusSoon = FK.focusSoon, i18n = FK.i18n,
      isObj = FK.isObj, roomKey = FK.roomKey, saveDraft = FK.saveDraft, saveOutbox = FK.saveOutbox,
      saveRoom = FK.saveRoom, showErr = FK.showErr, store = FK.store, t = FK.t, ui = FK.ui,
      uuid = FK.uuid;
  // Defined in a later file: looked up in FK when called.
  function focusFirstError() { return FK.focusFirstError(); }
  function openSettings(open) { return FK.openSettings(open); }
  function render() { return FK.render(); }
  function renderStatus() { return FK.renderStatus(); }
  function restartTimer() { return FK.restartTimer(); }
  function showScreen(name) { return FK.showScreen(name); }
  function consentAsked() { return FK.consentAsked(); }
  function consentNeeded() { return FK.consentNeeded(); }
  function onConsent(msg) { return FK.onConsent(msg); }

  var PROTOCOL = 1;
  var MAX_IN_FLIGHT = 8;          // outbox frames sent before waiting for acks
  var BACKOFF_BASE = 500;         // ms, doubled per failed attempt, with jitter
  var BACKOFF_MAX = 20000;
  var WATCHDOG_MS = 8000;         // a sync not answered in this long means a dead socket

  // ------------------------------------------------------------------ connection
  var conn = { ws: null, joined: false, attempt: 0, retry: null, replaced: false, stopped: false,
    inFlight: {}, lastFrame: 0, watchdog: null, status: "off", pumpRetry: null };

  function wsUrl() {
    return (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host + "/ws";
  }

  function connect() {
    if (conn.ws || conn.replaced || conn.stopped) return;
    window.clearTimeout(conn.retry);
    conn.retry = null;
    var ws;
    try { ws = new WebSocket(wsUrl()); } catch (e) { scheduleReconnect(); return; }
    conn.ws = ws;
    conn.joined = false;
    conn.inFlight = {};
    setStatus("wait");
    ws.onopen = function () {
      if (conn.ws !== ws) return;
      sendHello();
    };
    ws.onmessage = function (ev) {
      if (conn.ws !== ws) return;
      conn.lastFrame = Date.now();
      var msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (isObj(msg) && typeof msg.type === "string") handle(msg);
    };
    ws.onclose = function (ev) {
      if (conn.ws !== ws) return;
      conn.ws = null;
      conn.joined = false;
      conn.inFlight = {};
      window.clearTimeout(conn.watchdog);
      if (ev.code === 4001) { becomeReplaced(); return; }
      if (ev.code === ERASED_CLOSE) { becomeErased(); return; }
      setStatus("off");
      if (!conn.stopped) scheduleReconnect();
    };
    ws.onerror = function () { /* onclose follows */ };
  }

  function scheduleReconnect() {
    if (conn.retry || conn.replaced || conn.stopped) return;
    var ceiling = Math.min(BACKOFF_MAX, BACKOFF_BASE * Math.pow(2, conn.attempt));
    var delay = Math.round(ceiling / 2 + Math.random() * ceiling / 2);  // "equal jitter"
    conn.attempt = Math.min(conn.attempt + 1, 16);
    setStatus(app.screen === "main" ? "wait" : "off");
    conn.retry = window.setTimeout(function () { conn.retry = null; connect(); }, delay);
  }

  function reconnectNow() {
    if (conn.ws || conn.replaced || conn.stopped) return;
    conn.attempt = 0;
    window.clearTimeout(conn.retry);
    conn.retry = null;
    connect();
  }

  function dropConnection() {
    var ws = conn.ws;
    if (!ws) return;
    conn.ws = null;
    conn.joined = false;
    conn.inFlight = {};
    try { ws.close(); } catch (e) { /* ignore */ }
    setStatus("off");
    scheduleReconnect();
  }

  function sendFrame(obj) {
    if (!conn.ws || conn.ws.readyState !== 1) return false;
    try { conn.ws.send(JSON.stringify(obj)); return true; } catch (e) { return false; }
  }

  function sendHello() {
    sendFrame({ type: "hello", room: app.room, name: app.profile.name || null,
      role: app.profile.role || null, lang: i18n.lang, token: app.token });
    app.helloLang = i18n.lang;
  }

  function checkAlive() {
    // After the phone slept or changed network a socket can look open and be dead.
    if (!conn.joined) return;
    var asked = Date.now();
    sendFrame({ type: "sync" });
    window.clearTimeout(conn.watchdog);
    conn.watchdog = window.setTimeout(function () {
      if (conn.joined && conn.lastFrame < asked) dropConnection();
    }, WATCHDOG_MS);
  }

  function becomeReplaced() {
    conn.replaced = true;
    window.clearTimeout(conn.retry);
    conn.retry = null;
    setStatus("off");
    showScreen("replaced");
    announce(t("replaced_title"));
  }

  // The facilitator erased this participant (close code 4009, docs/protocol.md): what
  // they sent is gone from the host and the token is dead. Forget everything of theirs
  // on this phone too (token, outbox, drafts, name, role) and say so; joining again
  // starts as someone new.
  var ERASED_CLOSE = 4009;
  function becomeErased() {
    conn.stopped = true;
    window.clearTimeout(conn.retry);
    conn.retry = null;
    if (app.draftFor) store.del(roomKey("draft") + "." + app.draftFor);
    store.del(roomKey("me"));
    store.del(roomKey("outbox"));
    app.token = null;
    app.outbox = [];
    app.mine = [];
    app.draft = {};
    app.draftFor = null;
    app.participant = null;
    app.activity = null;
    app.profile = { name: "", role: "", lang: app.profile.lang, dirty: false };
    setStatus("off");
    showScreen("erased");
    announce(t("erased_title"));
  }

  function stop(reason) {
    conn.stopped = true;
    var ws = conn.ws;
    conn.ws = null;
    conn.joined = false;
    if (ws) { try { ws.close(); } catch (e) { /* ignore */ } }
    window.clearTimeout(conn.retry);
    conn.retry = null;
    setStatus("off");
    app.joinError = reason || "";
    showScreen("join");
  }

  function setStatus(s) {
    conn.status = s;
    renderStatus();
  }

  // ------------------------------------------------------------------ outbox
  function pump() {
    if (!conn.joined) return;
    var busy = 0;
    for (var k in conn.inFlight) if (conn.inFlight.hasOwnProperty(k)) busy++;
    var changed = false;
    for (var i = 0; i < app.outbox.length && busy < MAX_IN_FLIGHT; i++) {
      var op = app.outbox[i];
      var key = op.kind + ":" + op.id;
      if (op.failed || conn.inFlight[key]) continue;
      if (op.kind === "withdraw" && findOp("submit", op.id)) continue;  // after its submission's ack
      var frame = op.kind === "submit"
        ? { type: "submit", id: op.id, activity: op.activity, data: op.data }
        : { type: "withdraw", id: op.id };
      if (!sendFrame(frame)) break;
      conn.inFlight[key] = true;
      busy++;
      if (!op.sent) { op.sent = true; changed = true; }
    }
    if (changed) saveOutbox();
  }

  function retryPumpLater() {
    if (conn.pumpRetry) return;
    conn.pumpRetry = window.setTimeout(function () { conn.pumpRetry = null; pump(); }, 1500 + Math.random() * 1500);
  }

  function queueSubmit(data) {
    var op = { kind: "submit", id: uuid(), activity: app.activity.id, data: data,
      at: new Date().toISOString(), sent: false, failed: false, error: "" };
    app.outbox.push(op);
    saveOutbox();
    pump();
    return op;
  }

  function takeBack(id) {
    app.confirming = null;
    var sub = findOp("submit", id);
    if (sub && (sub.failed || !sub.sent)) {
      // Never reached the host: forgetting it here is all there is to do.
      dropOps(id);
      render();
      announce(t("taken_back"));
      return;
    }
    if (!findOp("withdraw", id)) {
      app.outbox.push({ kind: "withdraw", id: id, at: new Date().toISOString(), sent: false, failed: false });
      saveOutbox();
    }
    pump();
    render();
    announce(conn.joined ? t("taking_back") : t("queued_offline"), conn.joined);
  }

  function retryFailed(id) {
    var op = findOp("submit", id);
    if (!op) return;
    op.failed = false;
    op.error = "";
    if (app.activity && op.activity !== app.activity.id && app.activity.state === "open") op.activity = app.activity.id;
    saveOutbox();
    pump();
    render();
  }

  // ------------------------------------------------------------------ protocol messages
  function handle(msg) {
    switch (msg.type) {
      case "welcome": onWelcome(msg); break;
      case "activity": setActivity(msg.activity, false); render(); break;
      case "sync": setActivity(msg.activity, true); setMine(msg.mine); render(); break;
      case "ack": onAck(msg); break;
      case "profile": onProfile(msg); break;
      case "consent": onConsent(msg); break;
      case "error": onError(msg); break;
      default: break;  // a later protocol version may add messages
    }
  }

  function onWelcome(msg) {
    conn.joined = true;
    conn.attempt = 0;
    if (typeof msg.token === "string") app.token = msg.token;
    app.participant = isObj(msg.participant) ? msg.participant : null;
    if (isObj(msg.session)) { app.session = msg.session; app.session.labelsLang = app.helloLang; }
    var joinedNow = app.screen !== "main";
    if (app.participant) {
      app.profile.lang = i18n.lang;
      if (!app.profile.dirty) {
        app.profile.name = app.participant.name || "";
        app.profile.role = app.participant.role || "";
      }
    }
    saveRoom();
    setStatus("on");
    setActivity(msg.activity, true);
    setMine(msg.mine);
    showScreen(consentAsked() ? "consent" : "main");
    if (app.profile.dirty) {
      sendFrame({ type: "profile", name: app.profile.name, role: app.profile.role, lang: i18n.lang });
    }
    pump();
    render();
    if (joinedNow && app.screen === "consent") {
      focusSoon($("consent-h"));
    } else if (joinedNow) {
      focusSoon($("activity-h"));
      announce(t("joined"));
    }
  }

  function onAck(msg) {
    var id = msg.id;
    if (typeof id !== "string") return;
    delete conn.inFlight["submit:" + id];
    delete conn.inFlight["withdraw:" + id];
    if (msg.withdrawn === true) {
      var hadWithdraw = !!findOp("withdraw", id);
      dropOps(id);
      app.mine = app.mine.filter(function (c) { return c.id !== id; });
      if (hadWithdraw) announce(t("taken_back"));
    } else if (isObj(msg.contribution)) {
      dropOps(id, "submit");
      var c = msg.contribution;
      if (app.activity && c.activity === app.activity.id) upsertMine(c);
      announce(t("saved"));
    }
    pump();
    render();
  }

  function onProfile(msg) {
    if (isObj(msg.session)) { app.session = msg.session; app.session.labelsLang = app.profile.lang || i18n.lang; }
    if (isObj(msg.participant)) {
      app.participant = msg.participant;
      app.profile.name = msg.participant.name || "";
      app.profile.role = msg.participant.role || "";
    }
    app.profile.dirty = false;
    saveRoom();
    if (ui.settingsSaving) {
      ui.settingsSaving = false;
      openSettings(false);
      announce(t("settings_saved"));
    }
    render();
  }

  function onError(msg) {
    var code = msg.code;
    var id = typeof msg.id === "string" ? msg.id : null;
    if (id) {
      delete conn.inFlight["submit:" + id];
      delete conn.inFlight["withdraw:" + id];
    }
    if (!conn.joined) {
      // Errors before the welcome answer the hello.
      if (code === "bad_token") {
        app.token = null;
        saveRoom();
        sendHello();
        return;
      }
      if (code === "bad_room") { app.roomError = t("err_bad_room"); stop(""); return; }
      if (code === "room_full") { stop(t("err_room_full")); return; }
      if (code === "room_locked") { stop(t("err_room_locked")); return; }
      if (code === "already_joined") return;
      if (code === "rate_limited" || code === "unavailable") { dropConnection(); return; }
      return;
    }
    if (code === "rate_limited" || code === "unavailable") { retryPumpLater(); render(); return; }
    if (code === "consent_required") { consentNeeded(); return; }  // kept in the outbox: sent after "yes"
    var op = id ? (findOp("withdraw", id) || findOp("submit", id)) : null;
    if (op && op.kind === "withdraw") {
      // not_found: it was never stored or is already gone; either way it is not there.
      dropOps(id, "withdraw");
      if (code === "not_found") {
        app.mine = app.mine.filter(function (c) { return c.id !== id; });
        announce(t("taken_back"));
      } else {
        alertText(errorText(code, msg));
      }
      pump();
      render();
      return;
    }
    if (op && op.kind === "submit") {
      if (code === "invalid" && app.activity && op.activity === app.activity.id && app.activity.state === "open") {
        // Back into the form, with the host's reasons next to the fields.
        dropOps(id, "submit");
        app.draft = copy(op.data);
        saveDraft();
        app.fieldErrors = isObj(msg.fields) ? msg.fields : {};
        app.formError = t("err_invalid");
        app.renderedForm = null;
        render();
        alertText(t("err_invalid"));
        focusFirstError();
      } else {
        op.failed = true;
        op.error = code === "invalid" ? t("err_invalid") : errorText(code, msg);
        saveOutbox();
        render();
        alertText(op.error);
      }
      pump();
      return;
    }
    if (code === "invalid" && !id && ui.settingsSaving) {
      ui.settingsSaving = false;
      var fields = isObj(msg.fields) ? msg.fields : {};
      showErr($("set-role-err"), fields.role ? t("err_role") : "");
      showErr($("set-name-err"), fields.name ? String(fields.name) : "");
      alertText(t("err_invalid"));
      return;
    }
    if (code === "not_joined") { dropConnection(); return; }
    if (code !== "already_joined") alertText(errorText(code, msg));
  }

  function errorText(code, msg) {
    var known = { activity_closed: "err_closed", wrong_activity: "err_wrong_activity", too_large: "err_too_large", too_many: "err_too_many",
      not_found: "err_not_found", bad_message: "err_generic", bad_json: "err_generic",
      plugin_error: "err_plugin", not_collecting: "err_not_collecting" };
    if (known[code]) return t(known[code]);
    return t("err_generic");
  }

  function setActivity(activity, fromHost) {
    var a = isObj(activity) ? activity : null;
    var before = app.activity;
    app.activity = a;
    var changed = (before ? before.id : null) !== (a ? a.id : null);
    if (changed) {
      app.mine = [];
      app.fieldErrors = {};
      app.formError = "";
      app.confirming = null;
      app.draftFor = a ? a.id : null;
      var d = a ? store.get(roomKey("draft") + "." + a.id) : null;
      app.draft = isObj(d) ? d : {};
      if (!fromHost && a && conn.joined) sendFrame({ type: "sync" });  // my contributions to it
      if (a) announce(t("new_activity", { title: a.title || "" }));
      else announce(t("waiting_title"));
      if (app.screen === "main") refocusAfterChange();
    } else if (a && before && a.state !== before.state) {
      announce(a.state === "open" ? t("state_open_now") : a.state === "closed" ? t("state_closed") : t("state_pending"));
    }
    restartTimer();
  }

  function refocusAfterChange() {
    var f = document.activeElement;
    if (!f || f === document.body || $("activity").contains(f)) focusSoon($("activity-h"));
  }

  function setMine(list) {
    app.mine = Array.isArray(list) ? list.filter(isObj) : [];
  }

  function upsertMine(c) {
    for (var i = 0; i < app.mine.length; i++) {
      if (app.mine[i].id === c.id) { app.mine[i] = c; return; }
    }
    app.mine.push(c);
  }

  // Shared with the other files.
  FK.checkAlive = checkAlive;
  FK.pump = pump;
  FK.conn = conn;
  FK.connect = connect;
  FK.dropConnection = dropConnection;
  FK.queueSubmit = queueSubmit;
  FK.reconnectNow = reconnectNow;
  FK.retryFailed = retryFailed;
  FK.sendFrame = sendFrame;
  FK.setStatus = setStatus;
  FK.takeBack = takeBack;
})();
