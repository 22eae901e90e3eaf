#!/usr/bin/env node
// Entry point of the `3dmm-stn-train` binary (and `npm run demo`).
import { runTrainCli } from './cli';

runTrainCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
