// One iteration in slow motion, for teaching: its stages run one at a time, each explained in the
// main view and its boxes highlighted in the model diagram (App.setSlowMotion draws that).

const STAGES = [
  { text: "1. Sample: noise z goes through G; a batch of real samples is drawn", boxes: ["noise", "generator", "samples"] },
  { text: "2. D update: D learns to tell real from generated", boxes: ["samples", "discriminator", "loss"], part: "d" },
  { text: "3. G update: G moves its samples along D's gradient (the arrows)", boxes: ["generator", "loss"], part: "g" },
];
const STAGE_MS = 1200; // long enough to read a stage's line aloud in class

export async function slowMotion(app) {
  if (app.slowMotion) return; // one walk-through at a time
  app.pause();
  for (const stage of STAGES) {
    app.setSlowMotion(stage);
    if (stage.part) app.step(stage.part);
    await new Promise((resolve) => setTimeout(resolve, STAGE_MS));
  }
  app.setSlowMotion(null);
}
