#!/usr/bin/env node
// The `zero-trust` executable: the compiled form of this file is the package's bin. Everything it
// does is in run(); this file only connects run() to the process.
import { run } from './main';

// `zero-trust graph | head` closes the pipe early. That is the reader's choice, not a failure: end
// quietly with the code so far instead of a stack trace and exit 1 (1 means "access widened").
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

run(process.argv).then((code) => { process.exitCode = code; });
