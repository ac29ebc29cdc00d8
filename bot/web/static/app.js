// The pickup list: search as she types, tap to tick (and undo), live rows from the server.
// Works without this file too: every button is a plain form.
(function () {
  "use strict";
  var head = document.getElementById("head");
  if (!head) return;
  var csrf = head.dataset.csrf, view = head.dataset.view;
  var list = document.getElementById("list");
  var q = document.getElementById("q");
  var onlyTodo = document.getElementById("only-todo");
  var nothing = document.getElementById("nothing");
  var toast = document.getElementById("toast"), toastText = document.getElementById("toast-text");
  var toastUndo = document.getElementById("toast-undo");
  var toastTimer = null;

  function newId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // -- search ---------------------------------------------------------------
  function filter() {
    var text = (q.value || "").trim().toLowerCase().replace(/[\uff10-\uff19]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xff10 + 48);  // full-width digits
    });
    var words = text.split(/\s+/).filter(Boolean);
    var shown = 0;
    list.classList.toggle("only-todo", onlyTodo.checked);
    list.querySelectorAll("li.row").forEach(function (row) {
      var hay = row.dataset.search;
      var hit = words.every(function (w) { return hay.indexOf(w) >= 0; });
      row.classList.toggle("hide", !hit);
      if (hit && !(onlyTodo.checked && row.dataset.state === "done")) shown++;
    });
    list.querySelectorAll("[data-block]").forEach(function (block) {
      var any = Array.prototype.some.call(block.querySelectorAll("li.row"), function (r) {
        return !r.classList.contains("hide") && !(onlyTodo.checked && r.dataset.state === "done");
      });
      block.classList.toggle("hide", !any);
    });
    list.querySelectorAll("[data-point]").forEach(function (point) {
      point.classList.toggle("hide", !point.querySelector("[data-block]:not(.hide)"));
    });
    nothing.hidden = shown > 0 || !list.querySelector("li.row");
  }
  q.addEventListener("input", filter);
  onlyTodo.addEventListener("change", filter);

  // -- counts, worked out from the rows on the page --------------------------
  function count() {
    var rows = list.querySelectorAll("li.row"), done = 0, partial = 0;
    rows.forEach(function (r) {
      if (r.dataset.state === "done") done++;
      else if (r.dataset.state === "partial") partial++;
    });
    var set = function (name, n) {
      var el = document.querySelector('[data-count="' + name + '"]');
      if (el) el.textContent = n;
    };
    set("buyers", rows.length); set("done", done); set("todo", rows.length - done); set("partial", partial);
  }

  function replaceRows(rows) {
    Object.keys(rows).forEach(function (key) {
      var old = list.querySelector('li.row[data-key="' + CSS.escape(key) + '"]');
      if (!old) return;
      var box = document.createElement("ul");
      box.innerHTML = rows[key];
      var fresh = box.firstElementChild;
      if (fresh) {
        old.replaceWith(fresh);
        fresh.classList.add("flash");
      }
    });
    count();
    filter();
  }

  function showToast(text, undoKey) {
    toastText.textContent = text;
    toast.hidden = false;
    toastUndo.hidden = !undoKey;
    toastUndo.dataset.key = undoKey || "";
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { toast.hidden = true; }, undoKey ? 8000 : 4000);
  }

  function post(url, fields) {
    var body = new URLSearchParams(fields);
    return fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRF-Token": csrf}
    }).then(function (r) {
      return r.json().catch(function () { return {ok: false, said: ["出错了，请再点一次。"]}; });
    });
  }

  // -- taps ------------------------------------------------------------------
  list.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.dataset || !form.dataset.js) return;
    ev.preventDefault();
    var fields = new FormData(form);
    var key = fields.get("key");
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    post(form.getAttribute("action"), fields).then(function (answer) {
      if (answer.rows) replaceRows(answer.rows);
      var ticked = form.dataset.js === "tick" && answer.ok && !answer.repeated;
      showToast((answer.said || []).join(" "), ticked ? key : "");
    }, function () {
      buttons.forEach(function (b) { b.disabled = false; });
      showToast("没有连上，请再点一次。", "");
    });
  });

  toastUndo.addEventListener("click", function () {
    var key = toastUndo.dataset.key;
    if (!key) return;
    toastUndo.hidden = true;
    post("/pickup/untick", {key: key, view: view, tap: newId()}).then(function (answer) {
      if (answer.rows) replaceRows(answer.rows);
      showToast((answer.said || []).join(" "), "");
    });
  });

  document.getElementById("remind").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var todo = document.querySelector('[data-count="todo"]').textContent;
    if (!window.confirm("在群里 @ 还没取货的 " + todo + " 人？")) return;
    var form = ev.target;
    post(form.getAttribute("action"), new FormData(form)).then(function (answer) {
      form.querySelector('[name="tap"]').value = newId();
      showToast((answer.said || []).join(" "), "");
    });
  });

  var pick = document.getElementById("pick");
  pick.addEventListener("change", function () { window.location.href = pick.value; });

  // -- live: rows changed elsewhere (another phone, /核销 in the chat, an order changed) ---
  if (window.EventSource) {
    var source = new EventSource("/pickup/live?view=" + encodeURIComponent(view) + "&since=" + head.dataset.version);
    source.addEventListener("rows", function (ev) { replaceRows(JSON.parse(ev.data).rows); });
    source.addEventListener("full", function (ev) {
      list.innerHTML = JSON.parse(ev.data).html;
      count();
      filter();
    });
    source.addEventListener("bye", function (ev) {
      source.close();
      showToast(JSON.parse(ev.data).said, "");
    });
  }
  filter();
})();
