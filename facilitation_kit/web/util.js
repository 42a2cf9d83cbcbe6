/* facilitation-kit participant page: small helpers shared by the other files.
 *
 * DOM helpers ($, el, clear, show, focusSoon, showErr), value helpers (chars, isObj, copy,
 * uuid), storage that survives a missing or full localStorage (store), getJSON, the room
 * from the URL, and the screen-reader announcements (announce, alertText).
 * The page's files share ONE namespace object, window.FK, and load in this order (each
 * with defer, see PAGES in host/pages.py): util.js, state.js, i18n.js, connection.js, fields.js,
 * screens.js, app.js. A file takes what an earlier file defines at its top; a call to a
 * later file goes through FK at call time.
 */
(function () {
  "use strict";
  var FK = window.FK = window.FK || {};

  // ------------------------------------------------------------------ helpers
  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!attrs.hasOwnProperty(k) || attrs[k] === null || attrs[k] === undefined || attrs[k] === false) continue;
        if (k === "text") node.textContent = attrs[k];
        else if (k === "className") node.className = attrs[k];
        else if (k === "hidden") node.hidden = true;
        else if (k === "checked") node.checked = true;
        else if (k === "disabled") node.disabled = true;
        else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
        else node.setAttribute(k, attrs[k] === true ? "" : String(attrs[k]));
      }
    }
    if (children) {
      for (var i = 0; i < children.length; i++) {
        var c = children[i];
        if (c === null || c === undefined || c === false) continue;
        node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
      }
    }
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function show(node, yes) { node.hidden = !yes; }
  function chars(s) { return Array.from ? Array.from(s).length : s.length; }
  function isObj(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }

  function uuid() {
    var c = window.crypto || window.msCrypto;
    if (c && typeof c.randomUUID === "function") {
      try { return c.randomUUID(); } catch (e) { /* insecure context: fall through */ }
    }
    var b = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (var i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256) ^ (Date.now() >> (i % 8)) & 255;
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = [];
    for (var j = 0; j < 16; j++) h.push((b[j] + 256).toString(16).slice(1));
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") +
      "-" + h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }

  // localStorage can be missing, full or forbidden (private modes): fall back to memory.
  var memory = {};
  var store = {
    get: function (key) {
      var raw = null;
      try { raw = window.localStorage.getItem(key); } catch (e) { raw = null; }
      if (raw === null) raw = memory.hasOwnProperty(key) ? memory[key] : null;
      if (raw === null) return null;
      try { return JSON.parse(raw); } catch (e) { return null; }
    },
    set: function (key, value) {
      var raw = JSON.stringify(value);
      memory[key] = raw;
      try { window.localStorage.setItem(key, raw); } catch (e) { /* kept in memory */ }
    },
    del: function (key) {
      delete memory[key];
      try { window.localStorage.removeItem(key); } catch (e) { /* ignore */ }
    }
  };

  function getJSON(url, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url, true);
    xhr.timeout = 10000;
    xhr.onload = function () {
      var data = null;
      if (xhr.status === 200) { try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; } }
      done(data, xhr);
    };
    xhr.onerror = xhr.ontimeout = function () { done(null, xhr); };
    xhr.send();
  }

  function roomFromUrl() {
    var m = /[?&]room=([^&#]*)/.exec(window.location.search);
    if (!m) return "";
    try { return decodeURIComponent(m[1].replace(/\+/g, " ")).trim(); } catch (e) { return ""; }
  }

  function copy(v) { return JSON.parse(JSON.stringify(v)); }

  function focusSoon(node) {
    window.setTimeout(function () { if (node && !node.hidden) node.focus(); }, 0);
  }

  function showErr(node, text) {
    node.textContent = text || "";
    show(node, !!text);
  }

  // ------------------------------------------------------------------ announcements
  var spoken = {};
  function announce(text, progress) { speak("announce", text, progress); }
  function alertText(text) { speak("alert", text, false); }
  function speak(id, text, progress) {
    // Clear first so that the same sentence twice is announced twice; sentences that
    // come together (a new activity that opens at once) are read together, except that
    // a progress note ("Sending…") is dropped when its outcome follows at once.
    var s = spoken[id] || (spoken[id] = { parts: [], timer: null, progress: null });
    if (s.progress !== null && s.parts.indexOf(s.progress) >= 0) s.parts.splice(s.parts.indexOf(s.progress), 1);
    s.progress = null;
    if (s.parts.indexOf(text) < 0) s.parts.push(text);
    if (progress) s.progress = text;
    if (s.timer) return;
    $(id).textContent = "";
    s.timer = window.setTimeout(function () {
      $(id).textContent = s.parts.join(" ");
      s.parts = [];
      s.progress = null;
      s.timer = null;
    }, 80);
  }

  // The profile's fields are written once in index.body.html (<template id="profile-fields">,
  // ids "P-…") and stamped into the join and settings forms here, before the other files
  // look them up or translate them: ids become "join-…" and "set-…".
  function stampProfileFields() {
    var tpl = $("profile-fields");
    var slots = document.querySelectorAll("[data-profile]");
    for (var i = 0; i < slots.length; i++) {
      var prefix = slots[i].getAttribute("data-profile") + "-";
      var part = tpl.content.cloneNode(true);
      var named = part.querySelectorAll("[id], [for], [aria-describedby]");
      for (var j = 0; j < named.length; j++) {
        ["id", "for", "aria-describedby"].forEach(function (attr) {
          var v = named[j].getAttribute(attr);
          if (v) named[j].setAttribute(attr, v.replace(/\bP-/g, prefix));
        });
      }
      slots[i].parentNode.replaceChild(part, slots[i]);
    }
  }
  stampProfileFields();

  // Shared with the other files.
  FK.$ = $;
  FK.alertText = alertText;
  FK.announce = announce;
  FK.chars = chars;
  FK.clear = clear;
  FK.copy = copy;
  FK.el = el;
  FK.focusSoon = focusSoon;
  FK.getJSON = getJSON;
  FK.isObj = isObj;
  FK.roomFromUrl = roomFromUrl;
  FK.show = show;
  FK.showErr = showErr;
  FK.store = store;
  FK.uuid = uuid;
})();
