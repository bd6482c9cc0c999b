/* The share component's buttons, as progressive enhancement: without this file the page still
   offers the plain links and the address to copy by hand. "Copy link" puts the letter's address on
   the clipboard; "Share with an app" opens the device's own share sheet (Web Share API) where the
   browser has one. Nothing is sent anywhere by this file. */
(function () {
  "use strict";

  function say(box, message) {
    var status = box.querySelector("[data-share-status]");
    status.textContent = "";
    window.setTimeout(function () { status.textContent = message; }, 50);  // read out again on a second click
  }

  function copyBySelection(box) {
    var field = document.getElementById("share-url");
    field.focus();
    field.select();
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  function copy(box) {
    var url = box.getAttribute("data-share-url");
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(url).then(function () {
        say(box, box.getAttribute("data-copied"));
      }, function () {
        say(box, box.getAttribute(copyBySelection(box) ? "data-copied" : "data-copy-failed"));
      });
    } else {
      say(box, box.getAttribute(copyBySelection(box) ? "data-copied" : "data-copy-failed"));
    }
  }

  document.querySelectorAll("[data-share]").forEach(function (box) {
    box.querySelector("[data-share-copy]").addEventListener("click", function () { copy(box); });
    var native = box.querySelector("[data-share-native]");
    var shared = {title: box.getAttribute("data-share-title"), url: box.getAttribute("data-share-url")};
    if (navigator.share && (!navigator.canShare || navigator.canShare(shared))) {
      native.hidden = false;
      native.addEventListener("click", function () {
        navigator.share(shared).catch(function () {});  // closed without sharing: nothing to say
      });
    }
    box.hidden = false;
  });
})();
