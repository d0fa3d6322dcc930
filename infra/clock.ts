/**
 * The program's only reading of the clock. Secret rotation is a pure function of this instant and the stack's
 * config, so the offline plan (`--at DATE`) and the tests set it to plan a stack as it will be on another day.
 */
let readClock: () => Date = () => new Date();

export function currentTime(): Date {
    return readClock();
}

/** Replace the clock, for planning at a given date and for tests. Returns the previous clock. */
export function setClock(clock: () => Date): () => Date {
    const previous = readClock;
    readClock = clock;
    return previous;
}
