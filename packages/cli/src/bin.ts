import * as tf from '@tensorflow/tfjs';
import { runCli } from './cli';

// A command-line tool: tfjs's console advice (the "Hi, looks like you are running TensorFlow.js
// in Node.js" banner of the cpu backend, flag notices) is not for our users. PROD is tfjs's own
// switch for exactly that (tensorflow/tfjs#5349); it gates only tfjs's log/warn.
tf.env().set('PROD', true);

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
