/**
 * The `mnemo` executable: runs the command line on the process's arguments
 * and exits with its code (see `EXIT`). `models/bin/mnemo.js` imports this
 * file's build, `dist/cli.js`.
 *
 * @module
 */
import { processIo, runCli } from './cli/index.js';

const io = processIo();
const code = await runCli(process.argv.slice(2), io);
io.dispose();
// Let pending output drain, then exit (helper threads of the gemm would otherwise keep Node alive).
process.exitCode = code;
setImmediate(() => process.exit(code));
