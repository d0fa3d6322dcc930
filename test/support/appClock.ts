/**
 * The app's clock, moved from outside the process: libfaketime (Debian's libfaketime 0.9.10, LD_PRELOAD) shifts
 * time(), gettimeofday() and clock_gettime(CLOCK_REALTIME) by the offset in a file it reads again at every call
 * (FAKETIME_TIMESTAMP_FILE with FAKETIME_NO_CACHE=1; the file holds "+SECONDS", libfaketime's README, "Relative
 * offsets"). The monotonic clock and file times stay real (DONT_FAKE_MONOTONIC=1, NO_FAKE_STAT=1): gunicorn's
 * arbiter judges its worker's liveness by them, and would kill a worker whose heartbeat seemed an hour old.
 * Nothing of the SDK is touched: azure-identity reads time.time() as it always does.
 *
 * libfaketime 0.9.10 shares a POSIX semaphore and a shared memory object between a process and its children
 * (FAKETIME_SHARED="<sem> <shm>"). Left to itself, it makes them in the first process it loads into, setpriv's,
 * which is root's, mode 0600: the app, exec'd as the service's user, cannot open them and exits ("sem_open failed").
 * So they are made here beforehand, readable and writable by both: the semaphore as glibc's sem_open keeps it
 * (/dev/shm/sem.<name>, a 32-byte sem_t whose first word is the count, 1), the memory as zeros.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

export interface AppClock {
    /** What the app's process needs in its environment. */
    readonly environment: Record<string, string>;
    /** Moves the app's clock to `seconds` after the real one (0: the real time). */
    set(seconds: number): void;
    /** Removes the shared semaphore and memory. */
    dispose(): void;
}

export function appClock(): AppClock {
    if (!existsSync(LIBFAKETIME)) throw new Error(`${LIBFAKETIME} is missing: install Debian's libfaketime (tools/setup/readers.sh does)`);
    const directory = mkdtempSync(join(tmpdir(), "e2e-clock-"));
    // The service's user reads it: the directory and the file are world-readable, as a test's own files are.
    chmodSync(directory, 0o755);
    const file = join(directory, "offset");
    const set = (seconds: number) => writeFileSync(file, `${seconds >= 0 ? "+" : ""}${seconds}\n`, { mode: 0o644 });
    set(0);
    const name = `e2e_clock_${randomBytes(6).toString("hex")}`;
    const semaphore = `/dev/shm/sem.${name}_sem`;
    const memory = `/dev/shm/${name}_shm`;
    const count = Buffer.alloc(32);
    count.writeUInt32LE(1, 0);
    writeFileSync(semaphore, count);
    writeFileSync(memory, Buffer.alloc(4096));
    chmodSync(semaphore, 0o666);
    chmodSync(memory, 0o666);
    return {
        environment: {
            LD_PRELOAD: LIBFAKETIME, FAKETIME_TIMESTAMP_FILE: file, FAKETIME_NO_CACHE: "1", DONT_FAKE_MONOTONIC: "1", NO_FAKE_STAT: "1",
            FAKETIME_SHARED: `/${name}_sem /${name}_shm`,
        },
        set,
        dispose: () => {
            rmSync(semaphore, { force: true });
            rmSync(memory, { force: true });
            rmSync(directory, { recursive: true, force: true });
        },
    };
}
