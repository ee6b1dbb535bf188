// Cross-site request forgery: every state-changing request carries the session's token
// (services/portal/csrf.py): htmx and the upload script as a header, plain forms as a field.
function csrfToken() {
  var meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute("content") : "";
}
document.addEventListener("htmx:configRequest", function (event) {
  event.detail.headers["X-CSRF-Token"] = csrfToken();
});
document.addEventListener("submit", function (event) {
  var form = event.target;
  if ((form.getAttribute("method") || "get").toLowerCase() !== "post") return;
  if (form.matches("form[data-upload]")) return; // sent as a header, not inside the file stream
  var field = form.querySelector('input[name="_csrf"]');
  if (!field) {
    field = document.createElement("input");
    field.type = "hidden";
    field.name = "_csrf";
    form.appendChild(field);
  }
  field.value = csrfToken();
}, true);

// Uploads with a progress bar: the file streams to the archive through the console,
// and the bar follows the bytes the browser has sent (XMLHttpRequest upload events).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.matches("form[data-upload]")) return;
  event.preventDefault();
  var bar = form.querySelector("progress");
  var status = form.querySelector(".upload-status");
  var alertBox = form.querySelector(".upload-error");
  var button = form.querySelector("button[type=submit]");
  alertBox.hidden = true;
  alertBox.textContent = "";
  var file = form.querySelector("input[type=file]");
  if (!file.files.length) {
    alertBox.textContent = "请选择要上传的文件";
    alertBox.hidden = false;
    return;
  }
  var data = new FormData(form); // metadata fields come first, the file last (the archive reads them in order)
  var xhr = new XMLHttpRequest();
  xhr.open("POST", form.action);
  xhr.setRequestHeader("Accept", "application/json");
  xhr.setRequestHeader("X-CSRF-Token", csrfToken());
  xhr.upload.addEventListener("progress", function (e) {
    if (!e.lengthComputable) return;
    var pct = Math.floor((e.loaded / e.total) * 100);
    bar.value = pct;
    status.textContent = "已上传 " + pct + "%（" + (e.loaded / 1048576).toFixed(1) + " / " + (e.total / 1048576).toFixed(1) + " MiB）";
  });
  xhr.addEventListener("load", function () {
    button.disabled = false;
    var body = {};
    try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
    if (xhr.status === 201) {
      bar.value = 100;
      status.textContent = "上传完成，已存入电子档案：" + (body.title || "") + "（SM3 " + ((body.current_version || {}).sm3 || "").slice(0, 16) + "…）";
      status.setAttribute("data-done", "1");
      // A form that shows its result on a fresh page (a document's new version) opens it.
      if (form.hasAttribute("data-reload")) { window.location.assign(form.getAttribute("data-reload")); return; }
      var list = document.getElementById("documents");
      if (list && window.htmx) { htmx.ajax("GET", list.getAttribute("data-src"), { target: "#documents", swap: "outerHTML" }); }
    } else {
      status.textContent = "上传未完成";
      alertBox.textContent = (body.title || "上传失败") + (body.detail ? "：" + body.detail : "");
      alertBox.hidden = false;
    }
  });
  xhr.addEventListener("error", function () {
    button.disabled = false;
    alertBox.textContent = "网络中断，上传未完成，请重试";
    alertBox.hidden = false;
  });
  button.disabled = true;
  bar.value = 0;
  status.textContent = "开始上传…";
  xhr.send(data);
});
