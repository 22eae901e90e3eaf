// Node-only entry of @3dmm-stn/morphable-model: everything of the browser-safe entry, plus file
// paths, atomic writes and BFM files read in place. `export *` on purpose: this entry is the
// main entry plus the Node-only names, and can never lag behind it. The explicit exports below
// take precedence over the star export (ES module rule): `loadModel` and `readBfmH5` here also
// take paths.
export * from './index';
export { writeFileAtomic } from './io/atomic';
export { readBfmH5 } from './io/bfm_node';
export { inflateNode } from './io/mat-node';
export type { LoadModelOptions } from './io/load_node';
export { loadModel, saveModel } from './io/load_node';
