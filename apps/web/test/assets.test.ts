import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ASSET_DIRS, FACE_API_MODELS, staticAssets } from '../assets';

describe('the files the page fetches (copied from node_modules at build time)', () => {
  const assets = staticAssets();
  const urls = assets.map((a) => a.to);

  it('are the SSD and 68-landmark models with every shard their manifests name', () => {
    const models = urls.filter((u) => u.startsWith(ASSET_DIRS.models));
    for (const m of FACE_API_MODELS) {
      const manifest = assets.find(
        (a) => a.to === `${ASSET_DIRS.models}${m}-weights_manifest.json`,
      );
      expect(manifest, m).toBeDefined();
      const groups = JSON.parse(readFileSync(manifest!.from, 'utf8')) as { paths: string[] }[];
      for (const g of groups)
        for (const p of g.paths) expect(urls).toContain(`${ASSET_DIRS.models}${p}`);
    }
    // Only those two: no tiny detector, recognition, age or expression models in the app.
    expect(models.every((u) => FACE_API_MODELS.some((m) => u.includes(m)))).toBe(true);
  });

  it("include tfjs-backend-wasm's single-threaded binaries and the pretrained localiser's files", () => {
    expect(urls.filter((u) => u.startsWith(ASSET_DIRS.wasm)).sort()).toEqual([
      'tfjs/tfjs-backend-wasm-simd.wasm',
      'tfjs/tfjs-backend-wasm.wasm',
    ]);
    expect(urls.filter((u) => u.startsWith(ASSET_DIRS.pretrained)).sort()).toEqual([
      'pretrained/model.json',
      'pretrained/pretrained.json',
      'pretrained/weights.bin',
    ]);
  });

  it('exist on disk and are never URLs of another host', () => {
    for (const a of assets) {
      expect(existsSync(a.from), a.from).toBe(true);
      expect(a.to).not.toMatch(/^[a-z]+:|^\/\//);
    }
  });
});
