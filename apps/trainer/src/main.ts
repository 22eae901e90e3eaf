#!/usr/bin/env node
// Entry point of the `3dmm-stn-train` binary (and `npm run demo`).
import { reportError, takeDebugFlag } from '@3dmm-stn/checks';
import * as tf from '@tensorflow/tfjs';
import { runTrainCli } from './cli';

// A command-line tool: tfjs's console advice (the cpu backend's "Hi, looks like you are running
// TensorFlow.js in Node.js" banner, flag notices) is not for our users. PROD is tfjs's own switch
// for exactly that (tensorflow/tfjs#5349); it gates only tfjs's log/warn.
tf.env().set('PROD', true);

// runTrainCli reports every error itself (one line per typed error); this is the last line of
// defence for anything that escapes it.
runTrainCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const report = reportError(e, takeDebugFlag(process.argv.slice(2), process.env));
    process.stderr.write(report.text);
    process.exitCode = report.code;
  },
);
