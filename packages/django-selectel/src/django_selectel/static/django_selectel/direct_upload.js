/* django-selectel direct uploads: the file goes from the browser straight to Swift.
 *
 * No dependencies. Binds every [data-selectel-upload] element on the page, and ones added
 * later (admin inlines, htmx, front-end frameworks) through a MutationObserver; call
 * window.SelectelDirectUpload.bind(element) to bind one yourself. On a file pick it asks the
 * signer for a signed PUT URL, uploads with progress, and puts the object name into the
 * hidden input: the form then submits the name only. Submitting while an upload runs is held
 * back until it ends. Events on the widget element (bubbling): selectel-upload:start,
 * selectel-upload:progress (detail.loaded, detail.total), selectel-upload:done
 * (detail.name), selectel-upload:error (detail.message).
 */
(function () {
  "use strict";

  function csrfToken(root) {
    var form = root.closest("form");
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    if (input && input.value) {
      return input.value;
    }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function emit(root, type, detail) {
    root.dispatchEvent(new CustomEvent("selectel-upload:" + type, { bubbles: true, detail: detail }));
  }

  function sign(root, file) {
    return fetch(root.getAttribute("data-sign-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(root) },
      body: JSON.stringify({
        ticket: root.querySelector("[data-selectel-ticket]").value,
        filename: file.name,
        size: file.size,
        content_type: file.type || ""
      })
    }).then(function (response) {
      return response.json().then(
        function (body) {
          if (!response.ok) {
            throw new Error(body.error || "the server refused the upload (" + response.status + ")");
          }
          return body;
        },
        function () {
          throw new Error("the server refused the upload (" + response.status + ")");
        }
      );
    });
  }

  function put(root, signed, file, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(signed.method, signed.url);
      Object.keys(signed.headers || {}).forEach(function (name) {
        xhr.setRequestHeader(name, signed.headers[name]);
      });
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          onProgress(event.loaded, event.total);
        }
      });
      xhr.addEventListener("load", function () {
        if (xhr.status >= 200 && xhr.status < 300) {
          resolve(signed);
        } else {
          reject(new Error("the storage answered " + xhr.status));
        }
      });
      xhr.addEventListener("error", function () {
        reject(new Error("the upload failed (network, or CORS not set on the container)"));
      });
      xhr.addEventListener("abort", function () {
        reject(new Error("the upload was cancelled"));
      });
      root._selectelXhr = xhr;
      xhr.send(file);
    });
  }

  function upload(root, file) {
    var nameInput = root.querySelector("[data-selectel-name]");
    var progress = root.querySelector("[data-selectel-progress]");
    var status = root.querySelector("[data-selectel-status]");
    if (root._selectelXhr) {
      root._selectelXhr.abort();
    }
    nameInput.value = "";
    root.setAttribute("data-state", "uploading");
    progress.hidden = false;
    progress.value = 0;
    status.textContent = "Uploading " + file.name + "…";
    emit(root, "start", { file: file });
    var limit = parseInt(root.getAttribute("data-max-size"), 10);
    var started = limit && file.size > limit
      ? Promise.reject(new Error("The file is too large (" + file.size + " bytes; at most " + limit + ")."))
      : sign(root, file);
    return started
      .then(function (signed) {
        return put(root, signed, file, function (loaded, total) {
          progress.value = Math.floor((loaded / total) * 100);
          status.textContent = "Uploading " + file.name + ": " + progress.value + " %";
          emit(root, "progress", { loaded: loaded, total: total });
        });
      })
      .then(function (signed) {
        root._selectelXhr = null;
        nameInput.value = signed.name;
        progress.value = 100;
        root.setAttribute("data-state", "done");
        status.textContent = "Uploaded: " + signed.name;
        emit(root, "done", { name: signed.name });
      })
      .catch(function (error) {
        root._selectelXhr = null;
        nameInput.value = "";
        progress.hidden = true;
        root.setAttribute("data-state", "error");
        status.textContent = error.message;
        emit(root, "error", { message: error.message });
      });
  }

  function bind(root) {
    if (root._selectelBound) {
      return;
    }
    root._selectelBound = true;
    var picker = root.querySelector("[data-selectel-file]");
    picker.addEventListener("change", function () {
      if (picker.files && picker.files.length) {
        upload(root, picker.files[0]);
      }
    });
  }

  function scan(node) {
    if (node.nodeType !== 1) {
      return;
    }
    if (node.matches("[data-selectel-upload]")) {
      bind(node);
    }
    node.querySelectorAll("[data-selectel-upload]").forEach(bind);
  }

  // Hold back a submit until the form's uploads have ended, then submit.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      var busy = form.querySelector("[data-selectel-upload][data-state=uploading]");
      if (!busy) {
        return;
      }
      event.preventDefault();
      var submitter = event.submitter || null;
      busy.addEventListener("selectel-upload:done", function again() {
        busy.removeEventListener("selectel-upload:done", again);
        if (form.requestSubmit) {
          form.requestSubmit(submitter);
        } else {
          form.submit();
        }
      });
    },
    true
  );

  function start() {
    scan(document.documentElement);
    new MutationObserver(function (mutations) {
      mutations.forEach(function (mutation) {
        mutation.addedNodes.forEach(scan);
      });
    }).observe(document.documentElement, { childList: true, subtree: true });
  }

  window.SelectelDirectUpload = { bind: bind, scan: scan, upload: upload };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
