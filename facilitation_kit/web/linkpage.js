/* What the pages opened by a link share: the room's screen (screen.js) and the
 * facilitator's remote (remote.js). Both links carry a token in their fragment
 * (/screen#token=…, /remote#token=…), so it never goes to the server in a request line;
 * both pages authenticate a websocket with it and keep it open by themselves.
 *
 * window.LinkPage: $ and setText (DOM), format (a text's {name} placeholders),
 * tokenFromLink, and socket(options): a websocket that sends {"type": "auth", "token"}
 * on open, reconnects with backoff after a drop, starts over when a probe gets no
 * answer within 10 s (a network drop can leave a socket that looks open), and stops
 * for good on close code 4003 (a wrong or revoked token). No library, no other origin.
 */
(function () {
  "use strict";

  function $(id) { return document.getElementById(id); }

  function setText(id, text) { $(id).textContent = text == null ? "" : String(text); }

  function format(text, vars) {
    if (vars) {
      Object.keys(vars).forEach(function (name) { text = text.split("{" + name + "}").join(String(vars[name])); });
    }
    return text;
  }

  function tokenFromLink() {
    var found = /(?:^#|&)token=([A-Za-z0-9_-]{16,200})/.exec(window.location.hash || "");
    return found ? found[1] : null;
  }

  /* options: path ("/ws/screen"), token, onFrame(frame) for every JSON object the host
   * sends, onConnecting(attempt) before each try (0 the first time), onDown() when a
   * connection is lost (a retry follows), onRevoked() on 4003, probe(socket) to ask the
   * host for something (return false when there is nothing to ask yet), probeEvery (ms).
   * Returns {start, send(frame) -> bool, connected() (the host answered: reset the
   * backoff)}. */
  function socket(options) {
    var ws = null;
    var attempts = 0;
    var retryTimer = null;
    var stopped = false;
    var lastFrame = 0;

    function url() {
      return (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host + options.path;
    }

    function connect() {
      retryTimer = null;
      if (stopped) { return; }
      if (options.onConnecting) { options.onConnecting(attempts); }
      try { ws = new WebSocket(url()); } catch (e) { retry(); return; }
      var sock = ws;
      sock.onopen = function () { sock.send(JSON.stringify({ type: "auth", token: options.token })); };
      sock.onmessage = function (ev) {
        if (ws !== sock) { return; }
        var frame;
        try { frame = JSON.parse(ev.data); } catch (e) { return; }
        if (frame && typeof frame === "object") {
          lastFrame = Date.now();
          options.onFrame(frame);
        }
      };
      sock.onclose = function (ev) {
        if (ws !== sock) { return; }
        ws = null;
        if (ev.code === 4003) {
          stopped = true;
          options.onRevoked();
          return;
        }
        options.onDown();
        retry();
      };
    }

    function retry() {
      if (retryTimer || stopped) { return; }
      attempts += 1;
      var delay = Math.min(10000, 500 * Math.pow(2, Math.min(attempts - 1, 5)));
      retryTimer = window.setTimeout(connect, delay * (0.6 + Math.random() * 0.4));
    }

    function checkAlive() {
      if (!ws || ws.readyState !== 1) { return; }
      var asked = Date.now();
      try { if (options.probe(api) === false) { return; } } catch (e) { return; }
      window.setTimeout(function () {
        if (ws && lastFrame < asked) {
          var dead = ws;
          ws = null;
          try { dead.close(); } catch (e) { /* already closing */ }
          options.onDown();
          retry();
        }
      }, 10000);
    }

    var api = {
      start: function () {
        connect();
        window.setInterval(checkAlive, options.probeEvery);
        window.addEventListener("online", function () {
          if (!ws && !stopped) { window.clearTimeout(retryTimer); retryTimer = null; attempts = 0; connect(); }
        });
      },
      send: function (frame) {
        if (!ws || ws.readyState !== 1) { return false; }
        ws.send(JSON.stringify(frame));
        return true;
      },
      connected: function () { attempts = 0; }
    };
    return api;
  }

  window.LinkPage = { $: $, setText: setText, format: format, tokenFromLink: tokenFromLink, socket: socket };
}());
