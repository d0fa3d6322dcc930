/**
 * Write a file that holds a secret: readable by its owner only (0600) from the first byte, all or nothing.
 *
 * A temporary file in the same directory (so the rename stays on one file system) is created with mode 0600,
 * written, flushed to disk and renamed over the destination; the directory is flushed so the rename survives a
 * crash. An existing file is replaced, so it ends up 0600 whatever its mode was; on any failure it stays as it was.
 * A symbolic link at the destination is refused rather than written through or replaced. `owner` gives the file
 * to another user (a service's, which must read it) before the rename, so it is never visible as anyone else's.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { lstat, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export class AtomicWriteError extends Error {}

export interface FileOwner {
    readonly uid: number;
    readonly gid: number;
}

export async function writeFileAtomically(path: string, content: string, mode = 0o600, owner?: FileOwner): Promise<void> {
    const existing = await lstat(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return undefined;
        throw error;
    });
    if (existing?.isSymbolicLink()) {
        throw new AtomicWriteError(`${path} is a symbolic link; give the path of the file itself (nothing was written)`);
    }
    if (existing !== undefined && !existing.isFile()) {
        throw new AtomicWriteError(`${path} exists and is not a regular file (nothing was written)`);
    }

    const directory = dirname(path);
    const temporary = join(directory, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
    const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    try {
        await handle.writeFile(content, "utf8");
        await handle.chmod(mode); // the umask may have narrowed the mode asked for at creation; never widened it
        if (owner !== undefined) await handle.chown(owner.uid, owner.gid);
        await handle.sync();
    } catch (error) {
        await handle.close();
        await rm(temporary, { force: true });
        throw error;
    }
    await handle.close();
    try {
        await rename(temporary, path);
    } catch (error) {
        await rm(temporary, { force: true });
        throw error;
    }
    const directoryHandle = await open(directory, constants.O_RDONLY);
    try {
        await directoryHandle.sync();
    } finally {
        await directoryHandle.close();
    }
}
