// Node-only entry of @3dmm-stn/localiser: everything of the browser-safe entry, with
// `loadVggFaceWeightsH5` also taking a path. `export *` on purpose (this entry is the main entry
// plus the Node-only names, and can never lag behind it); the explicit export below takes
// precedence over the main entry's (ES module rule).
export * from './index';
export { loadVggFaceWeightsH5 } from './load_weights_node';
