// Runs airgap inside the test terminal (test/helpers/terminal.ts) and prints how it ended:
// "[airgap exited with code N]" or "[airgap killed by SIGNAL]". A shell's `$?` cannot tell the
// two apart (both read 130 after Ctrl+C), and this is the difference Ctrl+C tests check.
// The runner stays in the terminal's process group (so it gets Ctrl+C too), ignores it with a
// listener (exec resets a handled signal to the default, so airgap gets it as a user's would),
// and stays alive afterwards so that the last screen can be read.
import { spawn } from 'node:child_process';

process.on('SIGINT', () => {});
process.on('SIGTERM', () => process.exit(0));
const child = spawn(process.execPath, process.argv.slice(2), { stdio: 'inherit' });
child.on('exit', (code, signal) => {
  process.stdout.write(signal ? `\n[airgap killed by ${signal}]\n` : `\n[airgap exited with code ${code}]\n`);
  setInterval(() => {}, 1 << 30);
});
