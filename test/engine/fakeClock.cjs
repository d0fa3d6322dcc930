/**
 * A moved clock for the node processes the Pulumi CLI starts in an engine test (the language host model, the
 * program, the provider stand-ins, the policy pack), loaded with NODE_OPTIONS="--require <this file>" in the CLI
 * calls of that test only. Nothing in infra/ knows of it.
 *
 * FAKE_CLOCK_NOW is the instant (ISO 8601) that the clock read at the real instant FAKE_CLOCK_SET (epoch ms; the
 * process's start when unset). From there the clock runs on at the real pace, so timeouts and retries still
 * advance, and every process of one CLI call, started seconds apart, reads the same instant as the local Azure
 * moved in step (test/engine/support.ts MovableClock). Only `Date` moves: timers, TLS certificate checks (OpenSSL)
 * and the Go CLI keep the real time.
 */
"use strict";

const target = process.env.FAKE_CLOCK_NOW;
if (target !== undefined && target !== "") {
    const RealDate = Date;
    const targetMs = RealDate.parse(target);
    const setAt = process.env.FAKE_CLOCK_SET === undefined ? RealDate.now() : Number(process.env.FAKE_CLOCK_SET);
    if (Number.isNaN(targetMs) || Number.isNaN(setAt)) {
        throw new Error(`fakeClock.cjs: FAKE_CLOCK_NOW is ${JSON.stringify(target)} and FAKE_CLOCK_SET ` +
            `${JSON.stringify(process.env.FAKE_CLOCK_SET)}; expected an ISO 8601 instant and epoch milliseconds`);
    }
    const offset = targetMs - setAt;
    const now = () => RealDate.now() + offset;

    /** `new Date()` reads the moved clock; `Date()` called as a function returns its text, as the real one does. */
    function FakeDate(...args) {
        if (new.target === undefined) return new RealDate(now()).toString();
        return Reflect.construct(RealDate, args.length === 0 ? [now()] : args, new.target);
    }
    Object.setPrototypeOf(FakeDate, RealDate);
    FakeDate.prototype = RealDate.prototype;
    FakeDate.now = now;
    FakeDate.parse = RealDate.parse;
    FakeDate.UTC = RealDate.UTC;
    globalThis.Date = FakeDate;
}
