/**
 * The state, in memory and, when a file is given, in that file: written after every change to a temporary file
 * in the same directory (mode 0600: it holds the local test credentials), flushed, then renamed over it, so that a
 * crash leaves either the old state or the new one.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { seedState } from "./seed";
import type { State } from "./state";

export class Store {
    private constructor(private readonly current: State, private readonly file: string | undefined) {}

    /** The state in `file` if there is one, otherwise a new tenant (written to `file` at once). */
    static open(file: string | undefined, now: Date): Store {
        if (file !== undefined && existsSync(file)) {
            const state = JSON.parse(readFileSync(file, "utf8")) as State;
            if (state.version !== 1) throw new Error(`${file}: unknown local Azure state version ${String(state.version)}`);
            return new Store(state, file);
        }
        const store = new Store(seedState(now), file);
        store.save();
        return store;
    }

    get state(): Readonly<State> {
        return this.current;
    }

    /** Applies a change and writes the state before answering the request that made it. */
    change<T>(apply: (state: State) => T): T {
        const result = apply(this.current);
        this.save();
        return result;
    }

    private save(): void {
        if (this.file === undefined) return;
        const temporary = join(dirname(this.file), `.${basename(this.file)}.${process.pid}.tmp`);
        const fd = openSync(temporary, "w", 0o600);
        try {
            writeSync(fd, `${JSON.stringify(this.current, null, 2)}\n`);
            fsyncSync(fd);
        } finally {
            closeSync(fd);
        }
        renameSync(temporary, this.file);
    }
}
