// Keyboard: space play/pause, right arrow step, r reset. Keys typed into a form control belong
// to that control. On a focused button (say Play, just clicked) space still means play/pause,
// not "click the focused button again"; Enter keeps activating buttons.

const TYPING = ["INPUT", "SELECT", "TEXTAREA"];

export function installKeyboard(actions) {
  window.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t && (t.isContentEditable || TYPING.includes(t.tagName))) return;
    if (e.key === " ") {
      e.preventDefault();
      if (!e.repeat) actions.togglePlay();
    } else if (e.key === "ArrowRight") {
      e.preventDefault();
      actions.step();
    } else if (e.key === "r" || e.key === "R") {
      actions.reset();
    }
  });
  // A button fires its click on space's keyup; cancelling it keeps space a pure play/pause key.
  window.addEventListener("keyup", (e) => {
    if (e.key === " " && e.target && e.target.tagName === "BUTTON") e.preventDefault();
  });
}
