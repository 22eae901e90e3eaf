/** The preview rasteriser lives in @3dmm-stn/fit (shared with the web app). */
export { Canvas } from '@3dmm-stn/fit';
export type { Rgb } from '@3dmm-stn/fit';
