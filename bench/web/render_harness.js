// Render-capacity harness for bench/bench_render.py, injected into the lab page it drives (the
// page does not ship it): bench_render.py routes <lab>/bench/* to this folder and imports this
// module with page.evaluate. It draws one captured frame over and over in the page's main view.
import { decodeFrame } from "../static/frame.js";
import { Samples2DPlotlyView } from "./samples2d-plotly.js";

const $ = (id) => document.getElementById(id);

/**
 * Decode and draw `n` copies of a binary frame, one per animation frame, with the page's own
 * canvas view ("canvas") or Plotly.react in a div over it ("plotly"). app: the page's App
 * (window.__toygan), for its views, view options and trail. Resolves to {fps, msPerRender}: fps
 * counts drawn frames per wall-clock second (capped by the display's animation rate),
 * msPerRender is the decode + draw time alone, in ms.
 */
export async function benchRender(app, buffer, n, renderer = "canvas") {
  let view = app.views["2d"];
  let div = null;
  if (renderer === "plotly") {
    div = document.createElement("div");
    div.style.cssText = "position: absolute; inset: 0; width: 100%; height: 100%; background: #fff";
    $("view-samples").append(div); // over the canvas, the same size
    view = new Samples2DPlotlyView(div);
  }
  try {
    return await drawLoop(buffer, n, (frame) => view.render(frame, app.view, app.trail));
  } finally {
    if (div) div.remove();
  }
}

function drawLoop(buffer, n, draw) {
  let busy = 0;
  return new Promise((resolve) => {
    let i = 0;
    let started = 0;
    const tick = () => {
      const t0 = performance.now();
      if (i === 0) started = t0;
      const frame = decodeFrame(buffer.slice(0));
      frame.header.iteration = i;
      draw(frame);
      busy += performance.now() - t0;
      if (++i < n) requestAnimationFrame(tick);
      else resolve({ fps: ((n - 1) * 1000) / (performance.now() - started), msPerRender: busy / n });
    };
    requestAnimationFrame(tick);
  });
}
