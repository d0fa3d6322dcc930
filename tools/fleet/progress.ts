/**
 * What a person sees while a fleet runs. On a terminal: a bar over the fleet and, under it, a live line per running
 * stack (stack, step, elapsed), drawn by cli-progress's MultiBar. Elsewhere (CI logs, pipes): one plain line when a
 * stack starts and one when it ends, so that a log reads top to bottom.
 */
import { MultiBar, type SingleBar } from "cli-progress";
import { describeChanges, seconds } from "./summary";
import type { RunEvent } from "./runner";

export interface Progress {
    readonly onEvent: (event: RunEvent) => void;
    stop(): void;
}

export function progressFor(total: number, stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now): Progress {
    return stream.isTTY ? liveProgress(total, stream, now) : plainProgress(total, stream);
}

export function plainProgress(total: number, stream: Pick<NodeJS.WritableStream, "write">): Progress {
    let done = 0;
    const width = String(total).length;
    return {
        onEvent(event) {
            if (event.kind === "start") stream.write(`start  ${event.stack}\n`);
            if (event.kind === "waiting") stream.write(`wait   ${event.stack}: for ${event.writes} Graph writes of the budget\n`);
            if (event.kind === "throttled") {
                stream.write(`slow   ${event.stack} met throttling: no stack starts for a window, then ${event.perWindow} Graph writes per window\n`);
            }
            if (event.kind === "end") {
                done += 1;
                const { run } = event;
                const tail = run.result === "succeeded" ? (run.detail ?? describeChanges(run.changes)) : (run.reason ?? "");
                stream.write(`[${String(done).padStart(width)}/${total}] ${run.result.padEnd(9)} ${run.stack} ` +
                    `(${seconds(run.durationMs)}): ${tail}\n`);
            }
        },
        stop() { /* nothing is left on screen */ },
    };
}

function liveProgress(total: number, stream: NodeJS.WriteStream, now: () => number): Progress {
    const bars = new MultiBar({
        stream, hideCursor: true, clearOnComplete: false, fps: 5,
        format: "{label} {bar} {value}/{total} {detail}", barsize: 30,
    });
    const fleet = bars.create(total, 0, { label: "fleet".padEnd(24), detail: "" });
    const running = new Map<string, { bar: SingleBar; started: number; step: string }>();
    const failed: string[] = [];
    const ticker = setInterval(() => {
        for (const [stack, line] of running) line.bar.update({ label: stack.padEnd(24), detail: detailOf(line) });
    }, 1000);
    const detailOf = (line: { started: number; step: string }) => `${seconds(now() - line.started)}  ${line.step}`;
    return {
        onEvent(event) {
            if (event.kind === "start") {
                const line = { started: now(), step: "starting", bar: undefined as unknown as SingleBar };
                line.bar = bars.create(0, 0, { label: event.stack.padEnd(24), detail: detailOf(line) }, { format: "  {label} {detail}" });
                running.set(event.stack, line);
            }
            if (event.kind === "step") {
                const line = running.get(event.stack);
                if (line !== undefined) line.step = event.text;
            }
            if (event.kind === "end") {
                const line = running.get(event.run.stack);
                if (line !== undefined) bars.remove(line.bar);
                running.delete(event.run.stack);
                if (event.run.result === "failed") failed.push(event.run.stack);
                fleet.increment(1, { detail: failed.length === 0 ? "" : `${failed.length} failed` });
            }
        },
        stop() {
            clearInterval(ticker);
            bars.stop();
        },
    };
}
