/**
 * A tiny RGB rasteriser for previews and UV layouts: lines, dots, crosses, on a plain
 * `[H, W, 3]` uint8 buffer (the CLI writes it as PNG, the page puts it on a canvas). Pixel
 * centres at integer coordinates (x right, y down), like the rest of the project.
 */
import type { RgbImage } from './detect';

export type Rgb = readonly [number, number, number];

export class Canvas implements RgbImage {
  readonly data: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
    data?: Uint8Array,
    background: Rgb = [255, 255, 255],
  ) {
    if (data) {
      if (data.length !== width * height * 3)
        throw new RangeError(
          `Canvas: data must have ${width * height * 3} bytes, got ${data.length}.`,
        );
      this.data = Uint8Array.from(data);
    } else {
      this.data = new Uint8Array(width * height * 3);
      for (let i = 0; i < width * height; i++) this.data.set(background, 3 * i);
    }
  }

  /** Blends `colour` into pixel (x, y) with opacity `a` (0…1); outside pixels are ignored. */
  blend(x: number, y: number, colour: Rgb, a = 1): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const o = 3 * (y * this.width + x);
    for (let c = 0; c < 3; c++)
      this.data[o + c] = Math.round(this.data[o + c] * (1 - a) + colour[c] * a);
  }

  /** A line from (x0, y0) to (x1, y1), sampled at sub-pixel steps. */
  line(x0: number, y0: number, x1: number, y1: number, colour: Rgb, a = 1): void {
    if (![x0, y0, x1, y1].every(Number.isFinite)) return;
    const n = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    if (n > 100000) return;
    let px = Number.NaN;
    let py = Number.NaN;
    for (let k = 0; k <= n; k++) {
      const x = Math.round(x0 + ((x1 - x0) * k) / n);
      const y = Math.round(y0 + ((y1 - y0) * k) / n);
      if (x === px && y === py) continue;
      this.blend(x, y, colour, a);
      px = x;
      py = y;
    }
  }

  /** A filled disc of radius r at (x, y). */
  dot(x: number, y: number, r: number, colour: Rgb, a = 1): void {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    const cx = Math.round(x);
    const cy = Math.round(y);
    const rr = Math.ceil(r);
    for (let dy = -rr; dy <= rr; dy++)
      for (let dx = -rr; dx <= rr; dx++)
        if (dx * dx + dy * dy <= r * r) this.blend(cx + dx, cy + dy, colour, a);
  }

  /** An × of half-size r at (x, y). */
  cross(x: number, y: number, r: number, colour: Rgb, a = 1): void {
    this.line(x - r, y - r, x + r, y + r, colour, a);
    this.line(x - r, y + r, x + r, y - r, colour, a);
  }
}
