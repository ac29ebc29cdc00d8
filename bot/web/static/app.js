// The pickup list: search as she types, tap to tick (and undo), live rows from the server.
// The rows carry what a tap needs (data-key, data-left); the session's CSRF token is on #head.
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
    document.getElementById("partial").hidden = partial === 0;
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
  function tap(row, path, extra) {
    var key = row.dataset.key;
    var fields = {key: key, view: view, tap: newId()};
    Object.keys(extra || {}).forEach(function (k) { fields[k] = extra[k]; });
    row.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    post(path, fields).then(function (answer) {
      if (answer.rows && Object.keys(answer.rows).length) replaceRows(answer.rows);
      else row.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      var ticked = path === "/pickup/tick" && answer.ok && !answer.repeated;
      showToast((answer.said || []).join(" "), ticked ? key : "");
    }, function () {
      row.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      showToast("没有连上，请再点一次。", "");
    });
  }

  // 部分: what is left, each with how many she takes now (all of it to start with).
  function some(row) {
    var open = row.querySelector(".some-panel");
    if (open) { open.remove(); return; }
    var panel = document.createElement("div");
    panel.className = "some-panel";
    JSON.parse(row.dataset.left || "[]").forEach(function (item) {
      var label = document.createElement("label");
      var input = document.createElement("input");
      input.type = "number"; input.min = "0"; input.max = String(item[2]); input.value = String(item[2]);
      input.inputMode = "numeric"; input.name = "take-" + item[0];
      label.append(item[1] + " ", input, " / " + item[2] + item[3]);
      panel.append(label);
    });
    var go = document.createElement("button");
    go.type = "button"; go.className = "take"; go.textContent = "取走这些";
    go.addEventListener("click", function () {
      var extra = {};
      panel.querySelectorAll("input").forEach(function (i) { extra[i.name] = i.value || "0"; });
      tap(row, "/pickup/tick", extra);
    });
    panel.append(go);
    row.querySelector(".who").append(panel);
  }

  list.addEventListener("click", function (ev) {
    var button = ev.target.closest("button[data-do]");
    if (!button) return;
    var row = button.closest("li.row");
    if (button.dataset.do === "tick") tap(row, "/pickup/tick");
    else if (button.dataset.do === "untick") tap(row, "/pickup/untick");
    else if (button.dataset.do === "some") some(row);
  });

  toastUndo.addEventListener("click", function () {
    var key = toastUndo.dataset.key;
    var row = key && list.querySelector('li.row[data-key="' + CSS.escape(key) + '"]');
    toastUndo.hidden = true;
    if (row) tap(row, "/pickup/untick");
  });

  document.getElementById("remind").addEventListener("click", function () {
    var todo = document.querySelector('[data-count="todo"]').textContent;
    if (!window.confirm("在群里 @ 还没取货的 " + todo + " 人？")) return;
    post("/pickup/remind", {view: view, tap: newId()}).then(function (answer) {
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
