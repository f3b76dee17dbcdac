"""The page's QR encoder (frontend/qr.js, for the classroom join link) against an independent one:
python-qrcode, forced to the same version, error-correction level and mask, module for module."""

import pytest
import qrcode
from qrcode.util import MODE_8BIT_BYTE, QRData

pytestmark = pytest.mark.browser

LEVELS = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
          "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}
# A join link, non-ASCII text (UTF-8 bytes), and lengths that need versions 1 to 15 (7+ carry
# version information; 10+ a 16-bit length) and several interleaved blocks.
TEXTS = ["a", "http://192.168.1.20:8000/?watch=k3Jx9QpZ2aQ", "ToyGAN Lab \u2713 \u00fcn\u00efc\u00f6d\u00e9",
         "x" * 100, "y" * 300]


def reference(text: str, level: str, mask: int) -> list[list[bool]]:
    q = qrcode.QRCode(error_correction=LEVELS[level], border=0, mask_pattern=mask)
    q.add_data(QRData(text.encode(), mode=MODE_8BIT_BYTE))
    q.make(fit=True)
    return [[bool(v) for v in row] for row in q.get_matrix()]


def test_every_module_matches_an_independent_encoder(lab_page, lab_url, open_lab):
    page = open_lab(lab_page, lab_url)
    cases = [(t, lv, m) for t in TEXTS for lv in LEVELS for m in range(8)]
    got = page.evaluate("""async (cases) => {
        const qr = await import('./static/qr.js');
        return cases.map(([t, ecl, mask]) => qr.qrMatrix(t, {ecl, mask}));
    }""", cases)
    bad = [(t[:20], lv, m) for (t, lv, m), g in zip(cases, got, strict=True) if g != reference(t, lv, m)]
    assert bad == [], f"{len(bad)} of {len(cases)} symbols differ: {bad[:5]}"
    sizes = {len(g) for g in got}
    assert max(sizes) >= 4 * 7 + 17, "no case reached version 7 (version information)"


def test_the_chosen_mask_gives_a_valid_symbol_and_too_long_text_is_refused(lab_page, lab_url, open_lab):
    page = open_lab(lab_page, lab_url)
    out = page.evaluate("""async () => {
        const qr = await import('./static/qr.js');
        const auto = qr.qrMatrix('http://10.0.0.5:8000/?watch=AbCdEf123');
        const masks = [...Array(8).keys()].map((k) => qr.qrMatrix('http://10.0.0.5:8000/?watch=AbCdEf123', {mask: k}));
        let err = null;
        try { qr.qrMatrix('z'.repeat(3000)); } catch (e) { err = e.message; }
        const canvas = document.createElement('canvas');
        const n = qr.drawQr(canvas, 'hello', 3);
        return {auto, masks, err, n, w: canvas.width};
    }""")
    assert out["auto"] in out["masks"], "the automatic choice is one of the eight masked symbols"
    assert out["err"] and "do not fit" in out["err"]
    assert out["w"] == (out["n"] + 8) * 3  # the 4-module quiet zone on each side
