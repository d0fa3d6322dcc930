/**
 * The service's own unprivileged user, as the README's unit runs the app (`User=inventory-api`,
 * `Group=inventory-api`): the tests run as root (CI does), the app never. The user is made once per machine as a
 * packager makes a daemon's (`useradd --system`, its own group, no home, no login shell) and reused after; a run
 * racing another to make it takes the one that won.
 *
 * A process is started as that user with util-linux's setpriv, which changes uid, gid and groups and nothing else,
 * so the environment is exactly what the caller gives, as systemd builds it for `User=` (systemd.exec(5),
 * "Environment variables in spawned processes": $USER, $LOGNAME, $HOME, $SHELL from the user database).
 */
import { execFileSync } from "node:child_process";
import { lookupUser, NoSuchUserError, type SystemUser } from "../../common/systemUsers";

export const SERVICE_USER = "inventory-api";
/** The group whose members may read the Arc agent's key files (Microsoft Learn; localazure/arc/agent.ts). */
export const HIMDS_GROUP = "himds";

/** useradd and groupadd exit 9 when the name is taken (shadow-utils' E_NAME_IN_USE): another run made it first. */
const NAME_IN_USE = 9;

function runAllowingTaken(command: string, args: readonly string[]): void {
    try {
        execFileSync(command, args, { stdio: ["ignore", "ignore", "pipe"] });
    } catch (error) {
        if ((error as { status?: number }).status !== NAME_IN_USE) {
            throw new Error(`${command} ${args.join(" ")} failed (the tests run as root, as CI does): ${String((error as { stderr?: Buffer }).stderr ?? error)}`);
        }
    }
}

/** The system group, made when missing. */
export function ensureSystemGroup(name: string): void {
    runAllowingTaken("groupadd", ["--system", "--force", name]);
}

/** The service's user (and its group), made when missing. */
export function ensureServiceUser(name: string = SERVICE_USER): SystemUser {
    try {
        return lookupUser(name);
    } catch (error) {
        if (!(error instanceof NoSuchUserError)) throw error;
    }
    runAllowingTaken("useradd", ["--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
        "--shell", "/usr/sbin/nologin", name]);
    return lookupUser(name);
}

/** What systemd sets for `User=` besides the unit's own variables. */
export function userEnvironment(user: SystemUser): Record<string, string> {
    return { USER: user.name, LOGNAME: user.name, HOME: user.home, SHELL: "/usr/sbin/nologin" };
}

/**
 * The command line that runs `program` as `user`, with its initgroups groups, or with exactly `groups` (a unit's
 * `SupplementaryGroups=` beside the user's own group), and no way back to root (setpriv --no-new-privs, as
 * NoNewPrivileges=yes).
 */
export function asUser(user: SystemUser, program: string, args: readonly string[],
    groups?: readonly string[]): { command: string; args: string[] } {
    const groupArgs = groups === undefined ? ["--init-groups"] : ["--groups", [String(user.gid), ...groups].join(",")];
    return {
        command: "setpriv",
        args: [`--reuid=${user.uid}`, `--regid=${user.gid}`, ...groupArgs, "--no-new-privs", "--", program, ...args],
    };
}
