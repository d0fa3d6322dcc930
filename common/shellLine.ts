/** A command as one line for a POSIX shell: arguments with `$`, spaces or quotes go in single quotes. */
export function shellLine(command: readonly string[]): string {
    return command.map((arg) => (/^[A-Za-z0-9_\-./=@%+,:]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`)).join(" ");
}
