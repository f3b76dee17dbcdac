// Keyboard: space play/pause, right arrow step, r reset. Keys typed into a form control
// belong to that control.

export function installKeyboard(actions) {
  window.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t && (t.isContentEditable || ["INPUT", "SELECT", "TEXTAREA", "BUTTON"].includes(t.tagName))) {
      // A focused button would also "click" on space; let it, rather than toggling twice.
      if (!(t.tagName === "BUTTON" && e.key === "ArrowRight")) return;
    }
    if (e.key === " ") {
      e.preventDefault();
      actions.togglePlay();
    } else if (e.key === "ArrowRight") {
      e.preventDefault();
      actions.step();
    } else if (e.key === "r" || e.key === "R") {
      actions.reset();
    }
  });
}
