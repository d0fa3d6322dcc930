/**
 * Local users as the system knows them (getent: /etc/passwd, or NSS where it is configured), and whether one of
 * them can reach a path: what a service's user needs for a file the service reads (its key, say) while root makes it.
 */
import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";

export interface SystemUser {
    readonly name: string;
    readonly uid: number;
    readonly gid: number;
    readonly home: string;
    /** Every group the user is in: the primary one and the supplementary ones (`id -G`), as initgroups gives a service. */
    readonly groups: readonly number[];
}

export class NoSuchUserError extends Error {}

/** The user of that name or number, or a NoSuchUserError naming it. */
export function lookupUser(name: string): SystemUser {
    let line: string;
    try {
        line = execFileSync("getent", ["passwd", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
        throw new NoSuchUserError(`there is no user ${JSON.stringify(name)} on this machine (getent passwd ${name})`);
    }
    const [user, , uid, gid, , home] = line.split(":");
    const groups = execFileSync("id", ["-G", user!], { encoding: "utf8" }).trim().split(/\s+/).map(Number);
    return { name: user!, uid: Number(uid), gid: Number(gid), home: home!, groups };
}

/**
 * The first directory above `path` that `user` cannot search (no x for them by owner, group or other), or
 * undefined when every one lets them through. Root passes everywhere, as the kernel lets it.
 */
export function firstClosedDirectory(path: string, user: SystemUser): string | undefined {
    if (user.uid === 0) return undefined;
    for (let directory = dirname(resolve(path)); ; directory = dirname(directory)) {
        const { mode, uid, gid } = statSync(directory);
        const searchable = uid === user.uid ? (mode & 0o100) !== 0
            : user.groups.includes(gid) ? (mode & 0o010) !== 0
                : (mode & 0o001) !== 0;
        if (!searchable) return directory;
        if (directory === dirname(directory)) return undefined;
    }
}
