// Postgres and Elasticsearch refuse to run as root. When the stack is started by
// root (as in CI) their processes run as unprivileged users that own their dirs.
import fs from 'node:fs';
import path from 'node:path';
import { PrerequisiteMissing } from '../../lib/errors.ts';
import { runCommand } from './processControl.ts';

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

export interface OsUser {
  uid: number;
  gid: number;
}

export async function lookupUser(name: string): Promise<OsUser | undefined> {
  const uid = await runCommand('id', ['-u', name]);
  const gid = await runCommand('id', ['-g', name]);
  if (uid.code !== 0 || gid.code !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Creates a system user with no login shell when it does not exist yet (root only). */
export async function ensureSystemUser(name: string): Promise<OsUser> {
  const existing = await lookupUser(name);
  if (existing) return existing;
  const created = await runCommand('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
  const user = await lookupUser(name);
  if (!user) throw new PrerequisiteMissing(`the system user ${name}`, `Create it: useradd --system ${name} (${created.stderr.trim()})`);
  return user;
}

/** Gives `user` ownership of each path (recursively) when running as root; a no-op otherwise. */
export async function handOver(user: string, ...paths: string[]): Promise<void> {
  if (!runningAsRoot()) return;
  const owner = await lookupUser(user);
  if (!owner) throw new PrerequisiteMissing(`the system user ${user}`, `Create it: useradd --system ${user}`);
  for (const target of paths) {
    makeTraversable(path.dirname(target), owner);
    chownTree(target, owner);
  }
}

/**
 * The unprivileged user must be able to reach its directories. A checkout under a
 * private directory (mode 0700, as mktemp makes) would stop it, so grant search
 * (x) permission, never read, on each ancestor that lacks it. Directories the user
 * owns already are left alone: Postgres insists its data directory stays 0700.
 */
function makeTraversable(dir: string, owner: OsUser): void {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const { mode, uid } = fs.statSync(current);
    if (uid !== owner.uid && (mode & 0o001) === 0) fs.chmodSync(current, mode | 0o001);
    if (current === path.dirname(current)) return;
  }
}

function chownTree(target: string, owner: OsUser): void {
  fs.chownSync(target, owner.uid, owner.gid);
  if (!fs.statSync(target).isDirectory()) return;
  for (const entry of fs.readdirSync(target)) chownTree(`${target}/${entry}`, owner);
}
