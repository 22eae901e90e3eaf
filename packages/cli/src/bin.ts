import { reportError, takeDebugFlag } from '@3dmm-stn/checks';
import * as tf from '@tensorflow/tfjs';
import { runCli } from './cli';

// A command-line tool: tfjs's console advice (the "Hi, looks like you are running TensorFlow.js
// in Node.js" banner of the cpu backend, flag notices) is not for our users. PROD is tfjs's own
// switch for exactly that (tensorflow/tfjs#5349); it gates only tfjs's log/warn.
tf.env().set('PROD', true);

// runCli reports every error itself (one line per typed error, README "Exit codes"); this is
// the last line of defence for anything that escapes it.
runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const report = reportError(e, takeDebugFlag(process.argv.slice(2), process.env));
    process.stderr.write(report.text);
    process.exitCode = report.code;
  },
);
