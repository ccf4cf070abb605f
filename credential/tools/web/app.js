// The inspector page: drop an image, or read the camera, without sending anything off this computer.
// Every request goes to the server that served this page (the Content-Security-Policy allows no other).
"use strict";

(function () {
  const form = document.getElementById("inspect-form");
  const file = document.getElementById("image");
  const text = document.getElementById("text");
  const drop = document.getElementById("drop");
  const startButton = document.getElementById("camera-start");
  const stopButton = document.getElementById("camera-stop");
  const video = document.getElementById("camera-view");
  const status = document.getElementById("camera-status");
  if (!form) {
    return;
  }

  function submitWithImage(picked) {
    const transfer = new DataTransfer();
    transfer.items.add(picked);
    file.files = transfer.files;
    text.value = "";
    form.submit();
  }

  file.addEventListener("change", function () {
    if (file.files.length > 0) {
      text.value = "";
      form.submit();
    }
  });
  ["dragenter", "dragover"].forEach(function (name) {
    drop.addEventListener(name, function (event) {
      event.preventDefault();
      drop.classList.add("active");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    drop.addEventListener(name, function () {
      drop.classList.remove("active");
    });
  });
  drop.addEventListener("drop", function (event) {
    event.preventDefault();
    const picked = event.dataTransfer && event.dataTransfer.files[0];
    if (picked) {
      submitWithImage(picked);
    }
  });

  // The camera: a frame every 400 ms goes to this server's /scan, which reads it with the same QR
  // decoder as the command line; the first text found is inspected like a pasted one.
  let stream = null;
  let timer = null;
  let busy = false;
  const canvas = document.createElement("canvas");

  function stopCamera() {
    if (timer !== null) {
      clearInterval(timer);
      timer = null;
    }
    if (stream !== null) {
      stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }
    video.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
  }

  function scanFrame() {
    if (busy || video.videoWidth === 0) {
      return;
    }
    busy = true;
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob(function (blob) {
      fetch("/scan", { method: "POST", body: blob, headers: { "Content-Type": "image/png" } })
        .then(function (response) { return response.json(); })
        .then(function (answer) {
          busy = false;
          if (answer.text) {
            stopCamera();
            text.value = answer.text;
            file.value = "";
            form.submit();
          } else {
            status.textContent = "Looking for a QR code\u2026 (" + (answer.error || "none yet") + ")";
          }
        })
        .catch(function () { busy = false; });
    }, "image/png");
  }

  startButton.addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      status.textContent = "This browser gives this page no camera.";
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        stopButton.hidden = false;
        startButton.hidden = true;
        status.textContent = "Looking for a QR code\u2026";
        video.play();
        timer = setInterval(scanFrame, 400);
      })
      .catch(function (error) {
        status.textContent = "No camera: " + error.message;
      });
  });
  stopButton.addEventListener("click", stopCamera);
})();
