"""Theme checks for the browser tests: switch JupyterLab's theme, measure text contrast as rendered."""

from __future__ import annotations

from typing import Any

# The element's text colour against the first opaque background at or above it (WCAG contrast ratio).
# Colours are read back through a canvas, so any CSS colour syntax (rgb(), color(srgb ...)) is measured.
_CONTRAST = """(el) => {
  if (!el.isConnected) return null;  // redrawn under us: measure the new node
  const ctx = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
  const rgba = (c) => { ctx.clearRect(0, 0, 1, 1); ctx.fillStyle = 'rgba(0,0,0,0)'; ctx.fillStyle = c;
                        ctx.fillRect(0, 0, 1, 1); return [...ctx.getImageData(0, 0, 1, 1).data]; };
  let node = el, bg = [255, 255, 255, 255];
  while (node && node.nodeType === 1) {
    const c = rgba(getComputedStyle(node).backgroundColor);
    if (c[3] > 200) { bg = c; break; }
    node = node.parentElement;
  }
  const fg = rgba(getComputedStyle(el).color);
  const lum = (c) => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255;
                       return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                       return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return { ratio: (a + 0.05) / (b + 0.05), fg: fg.slice(0, 3), bg: bg.slice(0, 3), bgLum: lum(bg) };
}"""


def set_theme(page: Any, dark: bool) -> None:
    """Settings > Theme > JupyterLab Dark / Light, then wait until the body says so."""
    name = "JupyterLab Dark" if dark else "JupyterLab Light"
    page.keyboard.press("Escape")
    page.locator(".lm-MenuBar-item", has_text="Settings").first.click()
    page.locator(".lm-Menu-content .lm-Menu-itemLabel").get_by_text("Theme", exact=True).hover()
    page.locator(".lm-Menu-content .lm-Menu-itemLabel").get_by_text(name, exact=True).click()
    page.wait_for_function(f"() => document.body.dataset.jpThemeLight === '{str(not dark).lower()}'")
    page.wait_for_timeout(300)  # the theme's stylesheet applies on the next frames


def contrast(locator: Any) -> dict[str, Any]:
    """``{"ratio", "fg", "bg", "bgLum"}`` of the first element matched."""
    for _ in range(20):
        found = locator.first.evaluate(_CONTRAST)
        if found is not None:
            return dict(found)
        locator.page.wait_for_timeout(100)
    raise AssertionError(f"{locator} kept being redrawn")


def assert_readable(page: Any, selectors: dict[str, Any], dark: bool, minimum: float = 4.5) -> None:
    """Every named element's text reads (contrast >= ``minimum``) and its background suits the theme."""
    problems = []
    for name, locator in selectors.items():
        found = contrast(locator)
        dark_background = found["bgLum"] < 0.2
        if found["ratio"] < minimum or dark_background != dark:
            problems.append(f"{name}: {found}")
    assert not problems, f"{'dark' if dark else 'light'} theme: " + "; ".join(problems)
