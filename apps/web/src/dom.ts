/** Small DOM helpers the page's modules share. */

/** The element with this id (the page's HTML has them all). */
export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** A folder of the app's static files, relative to the page. */
export const asset = (dir: string) => new URL(dir, document.baseURI);

/** Resolves after the next paint (so a status line shows before a long synchronous step). */
export const nextFrame = () =>
  new Promise<void>((ok) => requestAnimationFrame(() => setTimeout(ok, 0)));

/** Seconds since `t0` (a `performance.now()` reading). */
export const seconds = (t0: number) => (performance.now() - t0) / 1000;

/** A `<figure>` holding a canvas and a caption. */
export function canvasFigure(
  cls: string,
  caption: string,
): { fig: HTMLElement; canvas: HTMLCanvasElement } {
  const fig = document.createElement('figure');
  const canvas = document.createElement('canvas');
  canvas.className = cls;
  const cap = document.createElement('figcaption');
  cap.textContent = caption;
  fig.append(canvas, cap);
  return { fig, canvas };
}
