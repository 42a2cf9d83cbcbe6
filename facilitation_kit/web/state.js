/* facilitation-kit participant page: the page's state and what this phone keeps of it.
 *
 * app (room, identity, profile, activity, my contributions, outbox, draft, errors, screen),
 * ui (settings panel), and saving/loading them per room in localStorage (roomKey, loadRoom,
 * saveRoom, saveOutbox, saveDraft), plus looking up and dropping outbox entries.
 */
(function () {
  "use strict";
  var FK = window.FK = window.FK || {};
  var store = FK.store;

  // ------------------------------------------------------------------ state
  var app = {
    room: "",
    token: null,
    profile: { name: "", role: "", lang: null, dirty: false },
    session: null,          // {title, roles}
    participant: null,
    activity: null,
    mine: [],               // the host's view of my contributions to the current activity
    outbox: [],             // [{kind: "submit"|"withdraw", id, activity, data, at, sent, failed, error}]
    draft: {},              // field name -> value, for the current activity
    draftFor: null,
    fieldErrors: {},        // field name -> text
    formError: "",
    confirming: null,       // id of the contribution whose take-back is being confirmed
    screen: "loading",
    joinError: "",
    roomError: "",
    clockOffset: 0,         // host clock minus phone clock, ms (from the HTTP Date header)
    renderedForm: null
  };

  function roomKey(what) { return "fk." + what + "." + app.room; }

  function loadRoom() {
    var saved = store.get(roomKey("me")) || {};
    app.token = typeof saved.token === "string" ? saved.token : null;
    app.profile = {
      name: typeof saved.name === "string" ? saved.name : "",
      role: typeof saved.role === "string" ? saved.role : "",
      lang: saved.lang || null,
      dirty: !!saved.dirty
    };
    var box = store.get(roomKey("outbox"));
    app.outbox = Array.isArray(box) ? box.filter(function (op) { return op && typeof op.id === "string"; }) : [];
  }

  function saveRoom() {
    store.set(roomKey("me"), { token: app.token, name: app.profile.name, role: app.profile.role,
      lang: app.profile.lang, dirty: app.profile.dirty });
  }
  function saveOutbox() { store.set(roomKey("outbox"), app.outbox); }
  function saveDraft() {
    if (app.draftFor) store.set(roomKey("draft") + "." + app.draftFor, app.draft);
  }

  function findOp(kind, id) {
    for (var i = 0; i < app.outbox.length; i++) {
      if (app.outbox[i].id === id && (!kind || app.outbox[i].kind === kind)) return app.outbox[i];
    }
    return null;
  }
  function dropOps(id, kind) {
    app.outbox = app.outbox.filter(function (op) { return !(op.id === id && (!kind || op.kind === kind)); });
    saveOutbox();
  }

  var ui = { settingsOpen: false, settingsSaving: false };

  // Shared with the other files.
  FK.app = app;
  FK.dropOps = dropOps;
  FK.findOp = findOp;
  FK.loadRoom = loadRoom;
  FK.roomKey = roomKey;
  FK.saveDraft = saveDraft;
  FK.saveOutbox = saveOutbox;
  FK.saveRoom = saveRoom;
  FK.ui = ui;
})();
