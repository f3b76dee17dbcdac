// Export: PNG of the main view (captioned, blank margins cut), config JSON, metrics CSV, saved
// experiment (config + weights, from the server's `export` answer); import reads either a saved
// experiment or a config JSON.

export function download(filename, blobOrText, type = "application/json") {
  const blob = blobOrText instanceof Blob ? blobOrText : new Blob([blobOrText], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function stamp() {
  return new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
}

export function exportConfig(config) {
  download(`toygan-config-${stamp()}.json`, JSON.stringify(config, null, 2) + "\n");
}

export function exportCsv(history) {
  download(`toygan-metrics-${stamp()}.csv`, history.toCsv(), "text/csv");
}

export function exportExperiment(data) {
  download(`toygan-experiment-${stamp()}.json`, JSON.stringify(data) + "\n");
}

/** The box of `canvas` that holds something (not fully transparent), in backing-store pixels. */
export function contentBox(canvas) {
  const { width: w, height: h } = canvas;
  const px = canvas.getContext("2d").getImageData(0, 0, w, h).data;
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (px[(y * w + x) * 4 + 3] === 0) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return x1 < 0 ? { x: 0, y: 0, w, h } : { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

/**
 * The PNG of a view's canvas (every main view is one), captioned: a band on top names the
 * experiment and the iteration, so a picture in a slide or a report says what it shows; the blank
 * margins of the canvas are cut away. Returns the composed canvas (the tests look at it).
 */
export function composePng(canvas, caption) {
  const dpr = window.devicePixelRatio || 1;
  const pad = Math.round(10 * dpr);
  const band = Math.round(30 * dpr);
  const box = contentBox(canvas);
  const out = document.createElement("canvas");
  out.width = box.w + 2 * pad;
  out.height = box.h + band + pad;
  const ctx = out.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = "#1d1d1f";
  ctx.font = `600 ${Math.round(14 * dpr)}px system-ui, sans-serif`;
  ctx.textBaseline = "middle";
  ctx.fillText(caption, pad, band / 2 + pad / 3, out.width - 2 * pad);
  ctx.drawImage(canvas, box.x, box.y, box.w, box.h, pad, band, box.w, box.h);
  return out;
}

export async function exportPng(canvas, caption) {
  const out = composePng(canvas, caption);
  const blob = await new Promise((resolve) => out.toBlob(resolve, "image/png"));
  const slug = caption.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60);
  if (blob) download(`toygan-${slug || "view"}-${stamp()}.png`, blob, "image/png");
}

/**
 * Read an imported file. Returns {kind: "experiment", data} for a saved experiment (it has a
 * `config` object), {kind: "config", config} for a bare config. Throws a readable Error.
 */
export async function readImport(file) {
  let parsed;
  try {
    parsed = JSON.parse(await file.text());
  } catch (err) {
    throw new Error(`import: ${file.name} is not JSON (${err.message})`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error(`import: ${file.name} must hold a JSON object`);
  }
  if (parsed.config && typeof parsed.config === "object") return { kind: "experiment", data: parsed };
  // A config file that does not say its schema version is read as version 1 (older labs wrote
  // none): the server then leaves out fields that do not apply to their kind; a current file reads
  // the same either way (gan_core's upgrade_config).
  return { kind: "config", config: { schema_version: 1, ...parsed } };
}

/**
 * Record a canvas view as WebM (MediaRecorder over canvas.captureStream) at `fps` frames/s (the
 * page's frame cap: faster would only repeat frames). Returns a stop() that resolves once the
 * file has been offered for download. Throws a readable Error where the browser cannot record.
 */
export function startRecording(canvas, fps) {
  if (!canvas.captureStream || typeof MediaRecorder === "undefined") {
    throw new Error("recording: this browser cannot record the view");
  }
  const type = ["video/webm;codecs=vp9", "video/webm;codecs=vp8", "video/webm"].find((t) => MediaRecorder.isTypeSupported(t));
  if (!type) throw new Error("recording: this browser has no WebM encoder");
  const chunks = [];
  const recorder = new MediaRecorder(canvas.captureStream(fps), { mimeType: type, videoBitsPerSecond: 2_500_000 });
  recorder.ondataavailable = (e) => {
    if (e.data.size) chunks.push(e.data);
  };
  recorder.start(250); // a chunk every 250 ms: a long recording never sits in one buffer
  return () => new Promise((resolve) => {
    recorder.onstop = () => {
      download(`toygan-view-${stamp()}.webm`, new Blob(chunks, { type: "video/webm" }), "video/webm");
      resolve();
    };
    recorder.stop();
  });
}
