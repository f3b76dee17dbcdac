// The page's colours, in one place: the views draw with them, the guide's legend names them, the
// PNG export and the report's readers see the same. Okabe-Ito hues (safe for the common colour
// vision deficiencies) at full saturation, so they survive a washed-out projector.
//
// Real data: black dots with a thin white rim (readable on the light and on the dark ends of D's
// surface). Generated samples: sky-blue dots with a dark-blue rim, told apart from real ones by
// hue *and* lightness. Real dots are drawn over the generated ones so a collapsed clump of fakes
// cannot hide the data it sits on. D's surface keeps its orange (real) to purple (fake) map.

export const COLORS = Object.freeze({
  real: "#111111",
  realRim: "#ffffff",
  fake: "#56b4e9", // Okabe-Ito sky blue
  fakeStroke: "#0072b2", // Okabe-Ito blue: a darker rim of the same hue
  arrow: "#0b4f80",
  manifold: "rgba(60, 60, 60, 0.45)",
  dCurve: "#b35806", // D(x) in 1D: the orange end of D's map
  dStar: "#542788",
  realDensity: "rgba(17, 17, 17, 0.18)",
  fakeDensity: "#0072b2", // Okabe-Ito blue
  axis: "#555",
  grid: "rgba(0,0,0,0.07)",
});

// How the guide names them in its sentences (keep in step with COLORS).
export const COLOR_WORDS = Object.freeze({
  real: "black dots",
  fake: "blue dots",
  dHigh: "orange",
  dLow: "purple",
  realDensity: "grey hill",
  fakeDensity: "blue curve",
  dCurve: "orange curve",
});
