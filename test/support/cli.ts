// Runs the zero-trust command line in-process, as a test would read it from a terminal.
import { chdir, cwd as currentDir } from 'node:process';
import { run } from '../../lib/cli/main';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `zero-trust ...args` in `cwd`; commands resolve relative paths against the working directory. */
export async function zeroTrust(args: readonly string[], cwd?: string): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const previous = currentDir();
  if (cwd) chdir(cwd);
  try {
    const code = await run(['node', 'zero-trust', ...args], { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; } });
    return { code, stdout, stderr };
  } finally {
    if (cwd) chdir(previous);
  }
}
