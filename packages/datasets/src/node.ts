// Node-only entry of @3dmm-stn/datasets: everything of the browser-safe entry, plus the readers
// that take paths (`readPts`, dlib XML) and image decoding with sharp. `export *` on purpose
// (this entry is the main entry plus the Node-only names, and can never lag behind it).
export * from './index';
export { readPts } from './pts_node';
export type { DlibFace, DlibImage } from './dlib_xml';
export { parseDlibXml, readDlibXml } from './dlib_xml';
export type { RgbImage } from './decode_node';
export { DEFAULT_MAX_PIXELS, decodeRgb } from './decode_node';
