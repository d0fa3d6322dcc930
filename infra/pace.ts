/**
 * How fast the program registers resources: it lets the event loop turn after every batch of them.
 *
 * Each resource the Pulumi SDK registers holds some 400 promises and 750 closures (about 150 KB) until the engine
 * answers its registration: four debuggable promises for each of its output properties (@pulumi/pulumi
 * runtime/rpc.js transferProperties, runtime/debuggable.js), and the steps of its registration
 * (runtime/resource.js prepareResource). No registration is even sent while a synchronous loop runs, so a loop over
 * 4,000 role assignments held all of them at once: 2.4 GiB for the offline plan. Yielding after each batch lets
 * that batch's registrations go out, and, where the engine has answered, its promises settle and be collected.
 * The order in which resources register is the same either way; a stack of fewer than a batch never yields.
 */

/**
 * The 4,000-assignment plan by batch (`npm run bench`'s row, one run): 20 → 463 MB, 50 → 553 MB, 100 → 675 MB and
 * 1.2x the time; all at once 2.4 GiB. Fifty keeps it near the smallest at no cost in time.
 */
export const REGISTRATION_BATCH = 50;

/** Counts the program's registrations, one count for the whole stack, and yields after each full batch. */
export class RegistrationPace {
    private sinceYield = 0;

    /** `batch`: how many registrations between turns of the event loop. */
    constructor(readonly batch: number = REGISTRATION_BATCH) {
        if (!Number.isInteger(batch) || batch < 1) throw new Error(`expected a batch of at least 1, not ${batch}`);
    }

    /** Counts `count` resources just registered; once a batch is full, resolves after the event loop has turned. */
    async registered(count = 1): Promise<void> {
        this.sinceYield += count;
        if (this.sinceYield < this.batch) return;
        this.sinceYield = 0;
        // setImmediate, not a microtask: it runs after the poll phase, so answers already received are handled first.
        await new Promise<void>((resolve) => setImmediate(resolve));
    }

    /** Registers one resource for each item, in order, counting each. */
    async registerEach<T, R>(items: readonly T[], register: (item: T) => R): Promise<R[]> {
        const registered: R[] = [];
        for (const item of items) {
            registered.push(register(item));
            await this.registered();
        }
        return registered;
    }
}
