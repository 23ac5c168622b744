/**
 * Styles inside the widget's shadow root that a strict Content-Security-Policy (a `style-src` without
 * `'unsafe-inline'`) does not block: a constructable stylesheet adopted by the shadow root. A browser without
 * them (Safari before 16.4) gets a `<style>` element instead, which such a policy blocks but others allow.
 */
/** Adds `css` to `root` (a shadow root; anything else gets a `<style>` in `fallback`); returns its remover. */
export function adoptStyles(root: Node, css: string, fallback: ParentNode): () => void {
  try {
    if (root instanceof ShadowRoot) {
      const sheet = new CSSStyleSheet(); // "Illegal constructor" without constructable stylesheets
      sheet.replaceSync(css);
      root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet]; // a TypeError without adoptedStyleSheets
      return () => {
        root.adoptedStyleSheets = root.adoptedStyleSheets.filter((s) => s !== sheet);
      };
    }
  } catch {
    /* no constructable stylesheets: a <style> */
  }
  const style = document.createElement("style");
  style.textContent = css;
  fallback.prepend(style);
  return () => style.remove();
}
