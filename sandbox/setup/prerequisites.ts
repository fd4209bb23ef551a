import { execFile } from 'node:child_process';
import { mkdirSync, statfsSync } from 'node:fs';
import { promisify } from 'node:util';
import { AppError } from '../../shared/errors.js';

const run = promisify(execFile);

export interface Toolchain {
  java: string;
  python: string;
}

/** The Java major version on PATH (or JAVA_HOME), or why it is unusable. */
async function javaVersion(java: string): Promise<number> {
  const { stderr, stdout } = await run(java, ['-version'], { timeout: 20_000 });
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${stderr}${stdout}`);
  const major = Number(match?.[1] === '1' ? match[2] : match?.[1]);
  if (!Number.isFinite(major)) throw new Error('could not read the version');
  return major;
}

async function pythonVersion(python: string): Promise<[number, number]> {
  const { stdout } = await run(python, ['-c', 'import sys; print(sys.version_info[0], sys.version_info[1])'], { timeout: 20_000 });
  const [major, minor] = stdout.trim().split(' ').map(Number);
  return [major ?? 0, minor ?? 0];
}

/**
 * Checks what the sandbox cannot provide itself. Each failure is one message
 * naming the fix, found before any download starts.
 */
export async function checkPrerequisites(dirs: string[], freeBytesNeeded: number): Promise<Toolchain> {
  const java = process.env.JAVA_HOME ? `${process.env.JAVA_HOME}/bin/java` : 'java';
  const javaMajor = await javaVersion(java).catch(() => 0);
  if (javaMajor < 17) {
    throw new AppError(
      'UNAVAILABLE',
      javaMajor === 0
        ? 'Java was not found. The sandbox runs Spark, which needs Java 17 or newer: install it (e.g. `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME.'
        : `Java ${javaMajor} was found; Spark in the sandbox needs Java 17 or newer. Install it or point JAVA_HOME at one.`,
    );
  }
  const python = process.env.TRIBUTARY_PYTHON ?? 'python3';
  const [major, minor] = await pythonVersion(python).catch((): [number, number] => [0, 0]);
  if (major < 3 || (major === 3 && minor < 9)) {
    throw new AppError(
      'UNAVAILABLE',
      major === 0
        ? 'Python 3 was not found. The sandbox needs Python 3.9 or newer for the AWS emulator and PySpark: install it (e.g. `apt-get install python3 python3-venv`) or set TRIBUTARY_PYTHON.'
        : `Python ${major}.${minor} is too old; the sandbox needs 3.9 or newer (set TRIBUTARY_PYTHON to a newer one).`,
    );
  }
  for (const dir of dirs) {
    mkdirSync(dir, { recursive: true });
    const stats = statfsSync(dir);
    const free = stats.bavail * stats.bsize;
    if (free < freeBytesNeeded) {
      throw new AppError(
        'UNAVAILABLE',
        `Only ${(free / 2 ** 30).toFixed(1)} GiB free under ${dir}; the sandbox needs ${(freeBytesNeeded / 2 ** 30).toFixed(1)} GiB. Free some space and start again.`,
      );
    }
  }
  return { java, python };
}
