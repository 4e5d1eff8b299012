/**
 * The engine holds every secret (HMAC_SHARED_SECRET, the bucket's keys) in its environment, and
 * the kernel shows a process's start environment in /proc/<pid>/environ to any process of the
 * same uid. yt-dlp and ffmpeg run untrusted input with open egress, as that uid. So the image
 * starts the engine as root and, before anything else runs, it switches to an unprivileged user
 * (RUN_AS_USER) itself: a process whose uid changes is marked non-dumpable by the kernel, which
 * then refuses other processes of that uid its /proc/<pid>/environ, mem and ptrace. (Switching
 * in a wrapper such as `setpriv` before exec would not: exec makes the process dumpable again.)
 * The tools it starts get only a filtered environment (./subprocess.ts) and a dumpable process
 * of their own. The container tier reads /proc as that user to check it.
 */
import { readFileSync } from "node:fs";
import { ConfigError } from "../../shared/config.ts";

interface Account {
  uid: number;
  gid: number;
  home: string;
}

/** `name`'s entry in /etc/passwd, or null. */
export function lookupAccount(name: string, passwd = readFileSync("/etc/passwd", "utf8")): Account | null {
  for (const line of passwd.split("\n")) {
    const [user, , uid, gid, , home] = line.split(":");
    if (user === name && uid && gid) return { uid: Number(uid), gid: Number(gid), home: home || "/" };
  }
  return null;
}

/**
 * Switches the process to `user` (null: stays as it is). Refuses to start, rather than run with
 * its environment readable by the tools, when it cannot: not started as root, or no such user.
 */
export function dropPrivileges(user: string | null): void {
  if (user === null) return;
  const account = lookupAccount(user);
  if (!account) throw new ConfigError([`RUN_AS_USER=${JSON.stringify(user)}: no such user in /etc/passwd`]);
  const uid = process.getuid?.();
  if (uid === account.uid) {
    throw new ConfigError([
      `RUN_AS_USER=${user}: the engine must start as root and switch to ${user} itself (started as ${user}, ` +
        "its environment with the secrets is readable by the tools it runs); leave the image's USER as root",
    ]);
  }
  const { setgroups, setgid, setuid } = process;
  if (uid !== 0 || !setgroups || !setgid || !setuid) {
    throw new ConfigError([`RUN_AS_USER=${user}: the engine must start as root to switch users`]);
  }
  // Supplementary groups first, then the group, then the user: after setuid nothing else can be dropped.
  setgroups([account.gid]);
  setgid(account.gid);
  setuid(account.uid);
  // yt-dlp keeps its cache under HOME; root's is not writable any more.
  process.env.HOME = account.home;
}
