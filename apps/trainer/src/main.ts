#!/usr/bin/env node
// Entry point of the `3dmm-stn-train` binary (and `npm run demo`).
import * as tf from '@tensorflow/tfjs';
import { runTrainCli } from './cli';

// A command-line tool: tfjs's console advice (the cpu backend's "Hi, looks like you are running
// TensorFlow.js in Node.js" banner, flag notices) is not for our users. PROD is tfjs's own switch
// for exactly that (tensorflow/tfjs#5349); it gates only tfjs's log/warn.
tf.env().set('PROD', true);

runTrainCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
