/**
 * Runs one operation over many stacks, N at a time: each worker takes the next stack in order, one stack's failure
 * never stops the others (unless fail-fast: then no new stack starts, and those left are "skipped"), and a stack's
 * Graph writes are taken from the shared budget before it starts.
 */
import type { GraphBudget } from "./budget";
import type { FleetStack } from "./inventory";

export type StackResult = "succeeded" | "failed" | "skipped";

/** Resource changes by kind (create, update, delete, replace, same...), as the engine counts them. */
export type Changes = Readonly<Record<string, number>>;

export interface StackRun {
    readonly stack: string;
    readonly result: StackResult;
    /** What the operation found or did; absent when it failed before the engine counted. */
    readonly changes?: Changes;
    /** What a verb that changes nothing found (expiry: the days the newest credential has left). */
    readonly detail?: string;
    readonly durationMs: number;
    /** One line: why it failed or was skipped. Never a secret: the operations pass only the engine's error text. */
    readonly reason?: string;
}

export interface OperationProgress {
    /** What the stack is doing now, for the live line: "creating azuread:Application inventory-api-dev". */
    step(text: string): void;
}

export type Operation = (stack: FleetStack, worker: number, progress: OperationProgress) =>
    Promise<{ changes?: Changes; detail?: string }>;

export type RunEvent =
    | { readonly kind: "start"; readonly stack: string; readonly worker: number }
    | { readonly kind: "step"; readonly stack: string; readonly text: string }
    | { readonly kind: "waiting"; readonly stack: string; readonly writes: number }
    /** A stack failed on Graph's or ARM's 429: the whole budget pauses until `resumesAt`, then admits `perWindow`. */
    | { readonly kind: "throttled"; readonly stack: string; readonly resumesAt: number; readonly perWindow: number }
    | { readonly kind: "end"; readonly run: StackRun };

export interface RunOptions {
    readonly concurrency: number;
    readonly failFast?: boolean;
    /** When set, each stack first takes `writesOf(stack)` from it. */
    readonly budget?: GraphBudget;
    readonly writesOf?: (stack: FleetStack) => number;
    readonly onEvent?: (event: RunEvent) => void;
    readonly now?: () => number;
}

export async function runFleet(stacks: readonly FleetStack[], operation: Operation, options: RunOptions): Promise<StackRun[]> {
    const now = options.now ?? Date.now;
    const emit = options.onEvent ?? (() => undefined);
    const runs = new Map<string, StackRun>();
    let next = 0;
    let stopped = false;

    const runOne = async (stack: FleetStack, worker: number): Promise<StackRun> => {
        const started = now();
        if (stack.problems.length > 0) {
            return { stack: stack.stack, result: "failed", durationMs: 0, reason: stack.problems[0]! };
        }
        try {
            const writes = options.budget === undefined ? 0 : (options.writesOf?.(stack) ?? 0);
            if (writes > 0) {
                emit({ kind: "waiting", stack: stack.stack, writes });
                await options.budget!.take(writes);
            }
            emit({ kind: "start", stack: stack.stack, worker });
            const done = await operation(stack, worker, { step: (text) => emit({ kind: "step", stack: stack.stack, text }) });
            return { stack: stack.stack, result: "succeeded", durationMs: now() - started,
                ...(done.changes === undefined ? {} : { changes: done.changes }),
                ...(done.detail === undefined ? {} : { detail: done.detail }) };
        } catch (error) {
            const reason = firstLine(error);
            const throttled = error instanceof ThrottledError || THROTTLED.test(reason);
            if (options.budget !== undefined && throttled) emit({ kind: "throttled", stack: stack.stack, ...options.budget.throttled() });
            return { stack: stack.stack, result: "failed", durationMs: now() - started, reason };
        }
    };

    const work = async (worker: number): Promise<void> => {
        while (!stopped && next < stacks.length) {
            const stack = stacks[next++]!;
            const run = await runOne(stack, worker);
            runs.set(stack.stack, run);
            emit({ kind: "end", run });
            if (run.result === "failed" && options.failFast) stopped = true;
        }
    };
    const workers = Math.max(1, Math.min(options.concurrency, stacks.length));
    await Promise.all(Array.from({ length: workers }, (_, worker) => work(worker)));

    return stacks.map((stack) => runs.get(stack.stack) ?? {
        stack: stack.stack, result: "skipped", durationMs: 0, reason: "not started: an earlier stack failed (--fail-fast)",
    });
}

/**
 * A failure that was throttling: the providers' error text for a 429 once their retries ran out (go-azure-sdk:
 * "unexpected status 429 (429 Too Many Requests)"; azcore: "RESPONSE 429"; the stand-ins say the same), or the
 * services' codes.
 */
export const THROTTLED = /\b429 \(429 Too Many Requests\)|RESPONSE 429|\bTooManyRequests\b|\bSubscriptionRequestsThrottled\b/;

/** An operation's failure whose full text (more than its one-line reason) showed throttling. */
export class ThrottledError extends Error {}

function firstLine(error: unknown): string {
    const text = error instanceof Error ? error.message : String(error);
    return text.split("\n").map((line) => line.trim()).find((line) => line !== "") ?? "failed";
}
