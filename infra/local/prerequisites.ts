// What the native stack needs from the machine, and how to get it. As root (CI,
// fresh machines) missing Debian packages are installed; otherwise the error says
// exactly what to install.
import fs from 'node:fs';
import path from 'node:path';
import { PrerequisiteMissing } from '../../lib/errors.ts';
import { runCommand } from './processControl.ts';
import { runningAsRoot } from './osUser.ts';
import { findJava } from './components/jvmProcess.ts';
import { REGISTRY_MIN_JAVA } from './components/registry.ts';

interface Prerequisite {
  what: string;
  debianPackage: string;
  present: () => Promise<boolean>;
}

const POSTGRES_ROOT = '/usr/lib/postgresql';

/** The newest installed PostgreSQL server's bin directory (Debian keeps one per major). */
export function postgresBinDir(): string {
  const majors = fs.existsSync(POSTGRES_ROOT)
    ? fs.readdirSync(POSTGRES_ROOT).filter((v) => fs.existsSync(path.join(POSTGRES_ROOT, v, 'bin', 'initdb')))
    : [];
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new PrerequisiteMissing('PostgreSQL server (initdb)', 'Install it: apt-get install postgresql');
  return path.join(POSTGRES_ROOT, newest, 'bin');
}

async function commandWorks(command: string, args: string[]): Promise<boolean> {
  try {
    return (await runCommand(command, args)).code === 0;
  } catch {
    return false;
  }
}

async function javaMajor(): Promise<number> {
  try {
    const { stderr } = await runCommand('java', ['-version']);
    const match = /version "(\d+)/.exec(stderr);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

const prerequisites: Prerequisite[] = [
  // Apicurio Registry 3.x needs 21+: found beside Java 17 under /usr/lib/jvm, or Debian's package where the release has one.
  { what: `Java ${REGISTRY_MIN_JAVA} or newer (for Apicurio Registry)`, debianPackage: `openjdk-${REGISTRY_MIN_JAVA}-jdk-headless`, present: async () => (await findJava(REGISTRY_MIN_JAVA)) !== undefined },
  { what: 'Java 17 or newer (java)', debianPackage: 'openjdk-17-jdk-headless', present: async () => (await javaMajor()) >= 17 },
  { what: 'Apache Maven (mvn)', debianPackage: 'maven', present: () => commandWorks('mvn', ['-v']) },
  { what: 'PostgreSQL server', debianPackage: 'postgresql', present: async () => { try { postgresBinDir(); return true; } catch { return false; } } },
  { what: 'Redis server (redis-server)', debianPackage: 'redis-server', present: () => commandWorks('redis-server', ['--version']) },
];

/** Ensures every prerequisite is installed, installing Debian packages when running as root. */
export async function ensurePrerequisites(log: (line: string) => void): Promise<void> {
  const missing: Prerequisite[] = [];
  for (const p of prerequisites) if (!(await p.present())) missing.push(p);
  if (missing.length === 0) return;

  const packages = missing.map((p) => p.debianPackage);
  if (!runningAsRoot()) {
    throw new PrerequisiteMissing(missing.map((p) => p.what).join(', '), `Install them: sudo apt-get install -y ${packages.join(' ')}`);
  }
  log(`installing ${packages.join(' ')} from Debian's packages`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = await runCommand('apt-get', ['update', '-q'], { env });
  const install = await runCommand('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], { env });
  if (update.code !== 0 || install.code !== 0) {
    throw new PrerequisiteMissing(missing.map((p) => p.what).join(', '), `apt-get install ${packages.join(' ')} failed:\n${install.stderr || update.stderr}`);
  }
  for (const p of missing) {
    if (!(await p.present())) throw new PrerequisiteMissing(p.what, `Install it: apt-get install ${p.debianPackage}`);
  }
}
